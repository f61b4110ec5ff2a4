#!/usr/bin/env bats
# mail: templates overrides every kind, the engines' mails included.
load test_helper

config() {
	cat >c.yaml <<'YAML'
pipeline:
  stages:
    - {name: New, group: active}
    - {name: Won, group: won}
    - {name: Lost, group: lost}
team:
  - {name: ana, email: ana@example.com}
routing:
  rules:
    - name: everyone
      assign: ana
scoring:
  rules:
    - name: exec
      when: {field: title, regex: "vp", ignore_case: true}
      points: 60
  thresholds:
    - {name: hot, at: 50, instructions: "Call now."}
YAML
	export LEADS_CONFIG=$PWD/c.yaml
}

@test "assignment and threshold mails use the built-in text without templates" {
	config
	leads add --email x@example.com --first Xi --title VP >/dev/null
	run sql "SELECT kind || '|' || subject FROM outbox ORDER BY id"
	assert_line --index 0 "assignment|New lead: Xi"
	assert_line --index 1 --regexp '^threshold\|Xi is hot'
}

@test "assignment and threshold mails follow the config's templates" {
	config
	cat >>c.yaml <<'YAML'
mail:
  templates:
    assignment:
      subject: "Yours: {{lead.name}} via {{assignment.rule}}"
      body: "{{rep.name}}, call {{lead.email}}."
    threshold:
      subject: "HOT {{lead.name}} {{lead.score}} > {{threshold.at}}"
YAML
	leads add --email x@example.com --first Xi --title VP >/dev/null
	run sql "SELECT kind || '|' || subject FROM outbox ORDER BY id"
	assert_output $'assignment|Yours: Xi via everyone\nthreshold|HOT Xi 60 > 50'
	run sql "SELECT body FROM outbox WHERE kind = 'assignment' ORDER BY id"
	assert_output "ana, call x@example.com."
	run sql "SELECT body FROM outbox WHERE kind = 'threshold' ORDER BY id"
	assert_output --partial "Call now."
}

@test "an unknown placeholder in an engine's template is a config error" {
	config
	cat >>c.yaml <<'YAML'
mail:
  templates:
    assignment:
      subject: "{{threshold.name}}"
YAML
	run --separate-stderr leads config check
	assert_failure 1
	[[ $stderr == *"c.yaml:"*":"*"threshold.name"* ]]
}
