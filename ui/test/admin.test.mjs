// SPDX-License-Identifier: MIT
// The admin page against a real `ferry server --auth` (its admin made from
// FERRY_ADMIN_PASSWORD; the browser signs in with HTTP basic auth): users,
// a grant that the REST API then reports, a refused duplicate, API tokens
// that work until revoked, and a user who is not an admin and sees no Admin
// link. The page on a server without auth is checked in ui.test.mjs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { api, basic, launch, startServer, withPage } from "../support/server.mjs";

const ADMIN_PW = "admin-pw-for-the-ui-test";
const admin = basic("admin", ADMIN_PW);
const asAdmin = { httpCredentials: { username: "admin", password: ADMIN_PW } };
let srv, browser, exp;
before(async () => {
  srv = await startServer({ adminPassword: ADMIN_PW });
  exp = (await api(srv.url, "experiments/create", { name: "shared-exp" }, "POST", admin)).experiment_id;
  await api(srv.url, "registered-models/create", { name: "shared-model" }, "POST", admin);
  await api(srv.url, "users/create", { username: "carol", password: "carol-pw-123" }, "POST", admin);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

test("admin: create a user, grant EDIT on an experiment, admin flag, delete", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url);
    await page.getByRole("link", { name: "Admin" }).click();
    await page.getByRole("heading", { name: "Admin" }).waitFor();
    assert.ok(await page.getByLabel("Admin: admin").isDisabled()); // the only admin stays one
    await page.getByLabel("New username").fill("alice");
    await page.getByLabel("Password", { exact: true }).fill("alice-pw-123");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("button", { name: "Permissions of alice" }).click();
    assert.ok(page.url().endsWith("#/admin?user=alice"), page.url()); // a deep link
    const perms = page.getByRole("region", { name: "Permissions of alice" });
    await perms.getByText("No grants on experiments").waitFor();
    // granted by name; the default permission in the form is EDIT
    await perms.getByLabel("Grant on experiment", { exact: true }).fill("shared-exp");
    await perms.getByRole("button", { name: "Grant" }).first().click();
    const sel = perms.getByLabel(`Permission on experiment shared-exp (${exp})`, { exact: true });
    await sel.waitFor();
    assert.equal(await sel.inputValue(), "EDIT");
    const u = (await api(srv.url, "users/get?username=alice", null, "GET", admin)).user;
    assert.deepEqual(u.experiment_permissions.map((p) => [p.experiment_id, p.permission]), [[exp, "EDIT"]]);
    // a model grant, changed in place
    await perms.getByLabel("Grant on registered model", { exact: true }).fill("shared-model");
    await perms.getByLabel("Permission to grant on registered model").selectOption("READ");
    await perms.getByRole("button", { name: "Grant" }).last().click();
    await perms.getByLabel("Permission on registered model shared-model", { exact: true }).selectOption("MANAGE");
    await page.waitForFunction(() => document.querySelector("[aria-label='Permission on registered model shared-model']")?.value === "MANAGE");
    const got = await api(srv.url, "registered-models/permissions/get?name=shared-model&username=alice", null, "GET", admin);
    assert.equal(got.registered_model_permission.permission, "MANAGE");
    // removed after a confirmation
    await perms.getByLabel(`Remove permission on experiment shared-exp (${exp})`).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
    await perms.getByText("No grants on experiments").waitFor();
    // a duplicate is refused with the server's message
    await page.getByLabel("New username").fill("alice");
    await page.getByLabel("Password", { exact: true }).fill("another-pw-123");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("alert").filter({ hasText: "RESOURCE_ALREADY_EXISTS" }).waitFor();
    // the admin flag, after a confirmation
    await page.getByLabel("Admin: alice").click();
    await page.getByRole("dialog").getByRole("button", { name: "Make admin" }).click();
    await page.waitForFunction(() => document.querySelector("[aria-label='Admin: alice']")?.checked);
    assert.equal((await api(srv.url, "users/get?username=alice", null, "GET", admin)).user.is_admin, true);
    // deleted, after a confirmation
    await page.locator("tr", { hasText: "alice" }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Permissions of alice" }).waitFor({ state: "detached" });
    const users = (await api(srv.url, "api/2.0/ferry/users/list", null, "GET", admin)).users;
    assert.deepEqual(users.map((x) => x.username).sort(), ["admin", "carol"]);
  }, ["status of 400", "status of 409"], asAdmin);
});

test("admin: an API token shown once, working until revoked", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/admin");
    await page.getByLabel("Token name").fill("ci");
    await page.getByLabel("Scopes").fill("experiment:READ");
    await page.getByLabel("Expires in days").fill("30");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = await page.getByLabel("New token").inputValue();
    assert.ok(secret.length > 20, secret);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    const bearer = { Authorization: "Bearer " + secret };
    await api(srv.url, "experiments/get?experiment_id=" + exp, null, "GET", bearer);
    const row = page.locator("tr", { hasText: "experiment:READ" });
    await row.getByRole("cell", { name: "active" }).waitFor();
    await page.getByRole("button", { name: "Done" }).click();
    await row.getByRole("button", { name: "Revoke token ci" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await row.getByRole("cell", { name: "revoked" }).waitFor();
    const r = await fetch(srv.url + "api/2.0/mlflow/experiments/get?experiment_id=" + exp, { headers: bearer });
    assert.equal(r.status, 401);
  }, [], { ...asAdmin, permissions: ["clipboard-read", "clipboard-write"] });
});

test("admin: a user who is not an admin sees no Admin link, and the page says why", async (t) => {
  await withPage(browser, t, async (page) => {
    const probe = page.waitForResponse((r) => r.url().endsWith("/api/2.0/ferry/users/list"));
    await page.goto(srv.url);
    assert.equal((await probe).status(), 403);
    await page.getByRole("heading", { name: "Experiments" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0);
    await page.goto(srv.url + "#/admin");
    await page.getByText("Only admins manage users and permissions").waitFor();
    await page.getByRole("heading", { name: "Your API tokens" }).waitFor(); // her own, still
    assert.equal(await page.getByLabel("New username").count(), 0);
  }, [], { httpCredentials: { username: "carol", password: "carol-pw-123" } });
});
