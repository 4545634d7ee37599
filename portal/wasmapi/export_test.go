package wasmapi

// MarshalTarget is marshalTarget, for the fuzz test's round trip.
var MarshalTarget = marshalTarget
