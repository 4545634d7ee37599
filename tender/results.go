package tender

// Result is the announced result of a tender.
type Result struct{}
