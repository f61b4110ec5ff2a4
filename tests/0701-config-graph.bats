#!/usr/bin/env bats
# leads config graph: the pipeline, the moves leads made, routing and
# workflows as Graphviz DOT; --svg through dot.
load test_helper

pipeline_yaml() {
	cat >g.yaml <<'Y'
pipeline:
  stages:
    - name: New
    - name: Proposal
    - name: Won
      group: won
    - name: Lost
      group: lost
Y
	export LEADS_CONFIG=$PWD/g.yaml
}

@test "graph: stages by group, the configured order dotted, the moves with their counts" {
	pipeline_yaml
	leads add --first A >/dev/null
	leads add --first B >/dev/null
	leads add --first C >/dev/null
	leads move 1 Proposal >/dev/null
	leads move 2 Proposal >/dev/null
	leads move 1 Won >/dev/null
	leads move 3 Lost --reason price >/dev/null
	run --separate-stderr leads config graph
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<'OUT'
digraph leads {
  rankdir=LR;
  compound=true;
  node [fontname="sans-serif", fontsize=11];
  edge [fontname="sans-serif", fontsize=10];
  subgraph cluster_pipeline {
    label="pipeline";
    subgraph cluster_active {
      label="active";
      color="#4c78a8";
      s0 [shape=box, style=rounded, label="New"];
      s1 [shape=box, style=rounded, label="Proposal"];
    }
    subgraph cluster_won {
      label="won";
      color="#54a24b";
      s2 [shape=box, style=rounded, label="Won"];
    }
    subgraph cluster_lost {
      label="lost";
      color="#e45756";
      s3 [shape=box, style=rounded, label="Lost"];
    }
  }
  start [shape=circle, label="new\nlead"];
  s0 -> s1 [style=dotted, color="#9d9d9d"];
  start -> s0 [label="3", penwidth=1.2];
  s0 -> s1 [label="2", penwidth=1.2];
  s0 -> s3 [label="1", penwidth=1.2];
  s1 -> s2 [label="1", penwidth=1.2];
}
OUT
}

@test "graph: a stage the history has but the config lost is drawn dashed" {
	pipeline_yaml
	leads add --first A >/dev/null
	leads move 1 Proposal >/dev/null
	sed -i 's/- name: Proposal/- name: Offer/' g.yaml
	run -0 leads config graph
	assert_line '  x0 [shape=box, style=dashed, label="proposal\n(not in the config)"];'
	assert_line '  s0 -> x0 [label="1", penwidth=1.2];'
}

@test "graph: without a database, the pipeline alone" {
	pipeline_yaml
	rm -f "$LEADS_DB"
	LEADS_DB=$BATS_TEST_TMPDIR/none.db run --separate-stderr leads config graph
	assert_success
	assert_equal "$stderr" ""
	assert_line '  start -> s0;'
	refute_output --partial 'label="1"'
}

@test "graph: routing as a decision chain ending in members, pools and routers" {
	LEADS_DB=$BATS_TEST_TMPDIR/none.db run -0 leads -c "$EXAMPLES/team-routing.yaml" config graph
	assert_line '    route -> r0;'
	assert_line '    r0 [shape=diamond, label="spam?"];'
	assert_line '    r0 -> r1 [label="no"];'
	assert_line '    r0 -> unassigned [label="yes"];'
	assert_line '    r1 -> router10 [label="yes"];'
	assert_line '    router10 [shape=oval, label="router of ana"];'
	assert_line '    r3 -> m4 [label="yes"];'
	assert_line '    p6 [shape=box3d, label="least loaded"];'
	assert_line '    r9 [shape=box, label="everyone-else"];'
	assert_line '    r10 [shape=diamond, label="ana: big-accounts?"];'
}

@test "graph: workflows, event to rule to tasks; names escaped for DOT" {
	cat >w.yaml <<'Y'
pipeline:
  stages:
    - name: 'Say "hi" \ now'
      key: say-hi
    - name: Won
      group: won
    - name: Lost
      group: lost
workflows:
  - name: first-call
    on: lead.received
    task: {title: "Call \"them\" then a \\ note", due: 2h}
  - name: hello
    on: stage.entered
    stage: say-hi
    task: {title: Hello, due: 1d}
Y
	LEADS_DB=$BATS_TEST_TMPDIR/none.db run --separate-stderr leads -c w.yaml config graph
	assert_success
	assert_equal "$stderr" ""
	assert_line '      s0 [shape=box, style=rounded, label="Say \"hi\" \\ now"];'
	assert_line '    e0 [shape=cds, label="lead.received"];'
	assert_line '    e0 -> w0;'
	assert_line '    w0t0 [shape=note, label="task: Call \"them\" then a \\ note\nfor the owner"];'
	assert_line '    w1 [shape=box, style=rounded, label="hello\nstage Say \"hi\" \\ now"];'
	assert_line '    e3 -> w1;'
	if command -v dot >/dev/null; then
		leads -c w.yaml config graph | dot -Tsvg >/dev/null
	fi
}

@test "graph --svg renders with dot into a private file, or to stdout" {
	command -v dot >/dev/null || skip "needs Graphviz's dot (apt-get install graphviz)"
	pipeline_yaml
	leads add --first A >/dev/null
	run --separate-stderr leads config graph --svg g.svg
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	assert_equal "$(stat -c %a g.svg)" 600
	grep -q '<svg' g.svg
	grep -q '>Proposal</text>' g.svg
	run --separate-stderr leads config graph --svg -
	assert_success
	assert_line --index 0 '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
}

@test "graph --svg without dot is 69 and says how to get it" {
	pipeline_yaml
	mkdir empty
	run --separate-stderr env PATH="$BATS_TEST_TMPDIR/empty" "$LEADS_BIN" config graph --svg g.svg
	assert_failure 69
	assert_equal "$output" ""
	assert_equal "$stderr" "leads config: --svg needs Graphviz's dot, which is not installed; install it with 'apt-get install graphviz' (or leave out --svg and render the DOT elsewhere)"
	[ ! -e g.svg ]
}

@test "graph: usage errors are 64" {
	run --separate-stderr leads config graph --format json
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads config: config graph prints Graphviz DOT; --format is not for it"
	run --separate-stderr leads config check --svg x.svg
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads config: --svg is for config graph"
	run --separate-stderr leads config draw
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads config: unknown config action 'draw' (check, show or graph)"
}
