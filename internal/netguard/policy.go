package netguard

import (
	"fmt"
	"net/netip"
	"strings"
)

// Policy says which destination addresses outbound requests may reach. Both
// policies read one table of special-purpose ranges (see ranges): link-local,
// cloud metadata, unspecified, multicast, broadcast, documentation and other
// ranges that never hold a provider are refused under every policy; the
// policies differ in how they treat private and loopback networks.
type Policy int

const (
	// AllowPrivate also allows loopback, RFC 1918, CGNAT (100.64.0.0/10),
	// IPv6 unique-local, site-local and loopback addresses, and the
	// benchmarking and reserved IPv4 ranges networks are numbered from, so
	// that self-hosted providers (Ollama, LM Studio) on the same machine or
	// network keep working.
	AllowPrivate Policy = iota
	// PublicOnly refuses every special-purpose address too, for deployments
	// where the server must only reach the public internet.
	PublicOnly
)

// ParsePolicy reads a policy from its configuration spelling
// (OPEN_NOTEBOOK_EGRESS): "" , "private" or "allow-private" for AllowPrivate,
// "public-only" for PublicOnly. Case and surrounding space are ignored.
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "private", "allow-private":
		return AllowPrivate, nil
	case "public-only":
		return PublicOnly, nil
	}
	return AllowPrivate, fmt.Errorf("unknown egress policy %q (want \"allow-private\" or \"public-only\")", s)
}

// String returns the policy's configuration spelling.
func (p Policy) String() string {
	switch p {
	case AllowPrivate:
		return "allow-private"
	case PublicOnly:
		return "public-only"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// CheckIP reports whether ip may be connected to under p. A refusal wraps
// ErrBlocked and says why. A zone (fe80::1%eth0) is ignored. An IPv6 address
// that embeds an IPv4 address (IPv4-mapped and -compatible, NAT64, 6to4,
// Teredo) is refused when the IPv4 address is, since that is where a
// connection to it ends up, and the reason names both.
func CheckIP(ip netip.Addr, p Policy) error {
	if r := judge(ip, p); r != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, r)
	}
	return nil
}

// refusal is why an address is refused.
type refusal struct {
	addr netip.Addr // the address refused, without its zone
	rng  *addrRange // the range that refuses it; nil when addr is not valid
	// outer is set when addr is refused as the IPv4 address embedded in
	// outer, an address of outerRange, in the given role.
	outer      netip.Addr
	outerRange *addrRange
	role       string
}

// judge returns why p refuses ip, or nil when p allows it.
func judge(ip netip.Addr, p Policy) *refusal {
	if !ip.IsValid() {
		return &refusal{addr: ip}
	}
	ip = ip.WithZone("")
	rng := lookupRange(ip)
	if rng == nil {
		return nil
	}
	if rng.embeds != nil {
		for _, e := range rng.embeds(ip) {
			// An embedded address is IPv4, and no IPv4 row embeds another
			// address, so this does not recurse.
			if in := lookupRange(e.addr); in != nil && !in.allows(p) {
				return &refusal{addr: e.addr, rng: in, outer: ip, outerRange: rng, role: e.role}
			}
		}
	}
	if rng.allows(p) {
		return nil
	}
	return &refusal{addr: ip, rng: rng}
}

// String says why, after "destination blocked by egress policy:".
func (r *refusal) String() string {
	if r.rng == nil {
		return fmt.Sprintf("%s is not a valid IP address", r.addr)
	}
	s := fmt.Sprintf("%s is %s", r.addr, r.rng.describe())
	if r.outerRange != nil {
		s = fmt.Sprintf("%s is %s, whose %s %s", r.outer, r.outerRange.describe(), r.role, s)
	}
	if r.rng.allow == allowedByDefault {
		s += ", refused by the public-only policy"
	}
	return s
}
