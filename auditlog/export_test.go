package auditlog

// EntryTypeCount lets the external tests check that they cover every type.
var EntryTypeCount = len(entryTypes)
