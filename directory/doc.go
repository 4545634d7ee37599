// Package directory answers the domain packages' questions about users
// from the registry: it implements tender.Directory (who may act in a
// tender, a tender's committee and its members' opening keys) and
// helpdesk.Directory (who is LPSE staff, who is a user in good standing)
// over a *registry.Registry.
//
// The consumer defines the interface and the provider's side implements
// it, as age's Recipient and Identity are implemented by each key type:
// packages tender and helpdesk know nothing of the registry, and the
// registry nothing of them. The policy — who is an active provider, who
// is LPSE staff, who may sit on a committee, which key a member opens
// with — is the registry's; this package only translates.
package directory
