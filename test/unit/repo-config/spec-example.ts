// The `.slipway.yml` example of SPEC.md §4, verbatim: it must always parse.
export const SPEC_EXAMPLE = `version: 1
apply: after_merge            # after_merge (default): merge, then apply | before_merge: /apply on the PR, then merge
autoplan: true                # plan changed projects on PR open and push
allow_forks: false            # never plan code from forks unless true
approvals_survive: commit     # commit (default): a push invalidates approvals | same_plan: kept while every plan is unchanged
on_apply_failure: report      # report (default) | revert_pr: open a PR reverting the merge that failed to apply
projects:
  - name: network-staging     # unique; default: dir
    dir: envs/staging/network # working directory, relative to repo root
    workflow: terraform       # terraform | opentofu | ansible | or a key of \`workflows\`
    environment: staging      # optional; deployments, approvals and promotion are per environment
    when_modified: ["**/*", "../../modules/**"]   # globs relative to dir; default ["**/*"]
    depends_on: []            # project names that must apply successfully first
  - name: network-production
    dir: envs/production/network
    environment: production
    depends_on: [network-staging]
environments:
  production:
    approvals: 1              # distinct approvers required; default 0
    approvers: ["octocat", "@acme/sre"]   # users or org teams; default: anyone with write access
    allow_author: false       # may the PR author approve; default false
    manual: true              # after merge, wait for \`/apply production\` before applying
workflows:
  shell:                      # a custom workflow: each step is {run: "..."} or {run: [argv...]}, with optional env
    validate: [{run: "sh validate.sh"}]
    plan:  [{run: "sh plan.sh"}]
    apply: [{run: "sh apply.sh"}]
drift:
  schedule: "0 */6 * * *"     # cron on the default branch; absent = off; follows each push to it
  remediate: false            # true: apply to restore the desired state
`;
