/* SPDX-License-Identifier: MIT
 * For the pipeline tests: how many processes are left in a job's process
 * group, so a test can check that nothing of it survived. */
#ifndef FERRY_TESTS_PROC_GROUP_H
#define FERRY_TESTS_PROC_GROUP_H

/* The processes (zombies included) whose process group is pgid, counted
 * from /proc; asserts that /proc can be read. */
int group_size(long pgid);

#endif
