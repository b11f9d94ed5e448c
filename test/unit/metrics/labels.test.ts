import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedValues, deliveryOutcome, environmentLabel, eventLabel, methodLabel, routeLabel, statusLabel } from "../../../src/metrics/labels.ts";

test("a path template from Octokit is the route as it is", () => {
  assert.equal(routeLabel("/repos/{owner}/{repo}/check-runs"), "/repos/{owner}/{repo}/check-runs");
  assert.equal(routeLabel("/repos/{owner}/{repo}/issues/comments/{comment_id}"), "/repos/{owner}/{repo}/issues/comments/{comment_id}");
  assert.equal(routeLabel("/app/installations/{installation_id}/access_tokens"), "/app/installations/{installation_id}/access_tokens");
});

test("a concrete URL becomes a template: no host, no query, no owner, repository, number or SHA", () => {
  assert.equal(routeLabel("https://api.github.com/repositories/123456/issues?labels=drift&page=2"), "/repositories/{id}/issues");
  assert.equal(routeLabel("http://127.0.0.1:4567/api/v3/repos/acme/infra-7/pulls/42"), "/repos/{owner}/{repo}/pulls/{id}");
  assert.equal(routeLabel("/repos/Acme/Infra/commits/0123456789abcdef0123456789abcdef01234567/check-runs"), "/repos/{owner}/{repo}/commits/{sha}/check-runs");
  assert.equal(routeLabel("/orgs/acme/teams/platform/memberships/alice"), "/orgs/{org}/teams/platform/memberships/alice");
  assert.equal(routeLabel("/users/Alice-99/repos"), "/users/{username}/repos");
  assert.equal(routeLabel("/repos/acme/infra/git/refs/heads/Feature_X.1"), "/repos/{owner}/{repo}/git/refs/heads/{param}");
  assert.equal(routeLabel(undefined), "{unknown}");
});

test("events outside the expected set, which anyone can put in the header, are `other`", () => {
  assert.equal(eventLabel("pull_request"), "pull_request");
  assert.equal(eventLabel(["issue_comment"]), "issue_comment");
  assert.equal(eventLabel("pull_request_12345"), "other");
  assert.equal(eventLabel(undefined), "other");
});

test("outcomes, methods and statuses come from small fixed sets", () => {
  assert.equal(deliveryOutcome(202), "accepted");
  assert.equal(deliveryOutcome(400), "rejected");
  assert.equal(deliveryOutcome(401), "rejected");
  assert.equal(deliveryOutcome(503), "failed");
  assert.equal(methodLabel("post"), "POST");
  assert.equal(methodLabel("BREW"), "OTHER");
  assert.equal(statusLabel(404), "404");
  assert.equal(statusLabel(undefined), "error");
  assert.equal(statusLabel(9999), "error");
});

test("environment names: the empty one is named, long ones are cut", () => {
  assert.equal(environmentLabel(""), "(none)");
  assert.equal(environmentLabel("production"), "production");
  assert.equal(environmentLabel("x".repeat(100)).length, 64);
});

test("a bounded label admits at most its number of values, then the overflow", () => {
  const b = new BoundedValues(2, "other");
  assert.equal(b.admit("a"), "a");
  assert.equal(b.admit("b"), "b");
  assert.equal(b.admit("c"), "other");
  assert.equal(b.admit("a"), "a", "a value seen before stays itself");
});
