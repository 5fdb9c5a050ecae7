// Package trial owns one load-test run from plan to verdict. It takes a
// scenario through the stack it needs (services, the reference target, the
// fault drills), the runner, the after-run checks (the reference target's
// writes check), the judgement and the report; it holds the run in memory
// from the runner to the judgement and writes run.json once, holding every
// fact the verdict depends on. The sequences of several runs — a comparison
// of the target's profiles, a capacity search (package trial/capacity), a
// merge of shards — are made of such runs.
//
// It owns what a run starts: throwaway services and the target process are
// stopped, and fault drills undone, however the run ends.
//
// It is not a command line: loadgate's command parses flags into a Plan,
// calls one function here and maps the record.Outcome it returns to an exit
// code. Everything a trial prints goes to the writers of its Env.
package trial
