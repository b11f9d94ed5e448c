#!/bin/sh
# The floor of plan_overhead: the least any bot must do to plan one pull request — get the
# commit (a fresh shallow fetch, as CI checkouts do) and run the same plan step in the project.
# Usage: floor-plan.sh DIR GIT_URL REF PROJECT_DIR STEP
# Credentials come from the environment (GIT_CONFIG_COUNT/KEY/VALUE), never from argv.
set -eu
dir=$1 url=$2 ref=$3 project=$4 step=$5
git init -q "$dir"
git -C "$dir" fetch -q --depth 1 --no-tags "$url" "$ref"
git -C "$dir" checkout -q --detach FETCH_HEAD
cd "$dir/$project"
sh -c "$step"
