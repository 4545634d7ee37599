package audit

// Steps and StepsV2 list the steps a witness report may name, for the spec
// test.
var (
	Steps   = steps
	StepsV2 = stepsV2
)
