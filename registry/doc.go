// Package registry keeps the users of SPSE, the LPSE's e-procurement
// system: registration with identity documents, verification by LPSE staff,
// approval or rejection, deactivation for violations, blacklist requests by
// officials decided by LPSE staff, passwords, lockout and API tokens, the
// separation of duties by person (NIK) that keeps LPSE staff off procurement
// committees and reviewers off their own accounts (articles 9, 14 and 21.3
// of the regulation that creates the LPSE), and committee members' own
// opening keys, registered with proof of possession (ChallengeKey,
// RegisterKey; doc/spec/opening.md §2.1).
//
// It implements doc/spec/registry.md, version 1, and appends its decisions to
// the audit log in the formats of doc/spec/entries.md. The workflow tests run
// every action and every refusal against both vault backends.
//
// A [Registry] is built with [New] over vault.Records, an encrypted
// [DocumentStore] (vault.Documents) and an [Appender] (*auditlog.Log). Every
// action names the acting user and is refused with [ErrForbidden] when that
// user's role may not take it. A caller's mistake in an argument is a
// [*FieldError] naming the field and what to do, matching [ErrInvalid]; other
// refusals wrap a sentinel callers branch on (doc/spec/registry.md §9). No
// refusal changes anything.
//
// The package never prints, reads the environment or keeps global state.
package registry
