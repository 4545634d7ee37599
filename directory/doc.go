// Package directory answers the domain packages' questions about users
// from the registry: it implements helpdesk.Directory over a
// *registry.Registry.
//
// The consumer defines the interface and the provider's side implements
// it, as age's Recipient and Identity are implemented by each key type:
// package helpdesk knows nothing of the registry, and the registry
// nothing of the helpdesk. The policy — who is LPSE staff, who is a user
// in good standing — is the registry's; this package only translates.
package directory
