/* SPDX-License-Identifier: MIT */
#include "base/sandbox.h"
#include "base/log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "base/banned.h"

int sandbox_identity(const char *run_as, struct sandbox_id *out, struct ferr *err)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    out->uid = (uid_t)-1;
    out->gid = (gid_t)-1;
    snprintf(out->home, sizeof(out->home), "/nonexistent");
    if (!run_as && geteuid() != 0)
        return 0;
    const char *name = run_as ? run_as : "nobody";
    int rc = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
    if (rc || !found) {
        if (run_as)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no user '%.100s' to run as%s%s",
                            run_as, rc ? ": " : "", rc ? strerror(rc) : "");
        log_warn("no user 'nobody': processes ferry starts run as root");
        return 0;
    }
    if (pw.pw_uid == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "refusing to run processes as '%.100s': it is root", name);
    if (geteuid() != 0 && pw.pw_uid != geteuid())
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cannot run processes as '%.100s': only root can change user", name);
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    if (run_as && pw.pw_dir && *pw.pw_dir)
        snprintf(out->home, sizeof(out->home), "%s", pw.pw_dir);
    return 0;
}

int sandbox_enter(const struct sandbox_id *id, pid_t parent)
{
    struct rlimit zero = {0, 0};
#ifdef __linux__
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
#else
    (void)parent;
#endif
    if (setrlimit(RLIMIT_CORE, &zero) < 0)
        return -1;
    if (id->gid != (gid_t)-1 && (setgroups(0, NULL) < 0 || setgid(id->gid) < 0))
        return -1;
    /* the second setuid must fail: root is gone for good */
    if (id->uid != (uid_t)-1 && (setuid(id->uid) < 0 || (id->uid != 0 && setuid(0) == 0)))
        return -1;
    return 0;
}
