package audit

// Steps lists the steps a witness report may name, for the spec test.
var Steps = steps
