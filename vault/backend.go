package vault

// Backend is everything a deployment stores: records, blobs and (through
// them) secrets. Construct one with [OpenEmbedded] or [OpenPostgres] in main
// and pass it down; domain packages depend only on the narrow interfaces
// they use ([Records], [Blobs]).
//
// To plug in another backend, implement this interface and run the
// conformance suite in package vault/vaulttest against it.
type Backend interface {
	Records
	Blobs
	// Close releases the backend's connections. Data already acknowledged
	// stays durable.
	Close() error
}
