package netguard

import (
	"fmt"
	"net/netip"
	"strings"
)

// Policy says which destination addresses outbound requests may reach.
// Link-local, cloud metadata, unspecified, multicast and broadcast addresses
// are refused under every policy; the policies differ only in how they treat
// private and loopback networks.
type Policy int

const (
	// AllowPrivate also allows loopback, RFC 1918, CGNAT (100.64.0.0/10) and
	// IPv6 unique-local and loopback addresses, so that self-hosted providers
	// (Ollama, LM Studio) on the same machine or network keep working.
	AllowPrivate Policy = iota
	// PublicOnly refuses those private and loopback addresses too, for
	// deployments where the server must only reach the public internet.
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
// ErrBlocked and says why. A zone (fe80::1%eth0) is ignored, and an IPv4
// address embedded in IPv6 (::ffff:a.b.c.d and similar) is judged as the IPv4
// address, since that is where a connection to it ends up.
func CheckIP(ip netip.Addr, p Policy) error {
	v := judge(ip, p)
	if v == allowed {
		return nil
	}
	return fmt.Errorf("%w: %s is %s", ErrBlocked, ip, v.phrase())
}

// verdict is why an address is refused, or allowed.
type verdict int

const (
	allowed verdict = iota
	notAnAddress
	unspecified
	linkLocal
	metadata
	multicast
	private
)

// phrase describes the verdict after "<address> is".
func (v verdict) phrase() string {
	switch v {
	case notAnAddress:
		return "not a valid IP address"
	case unspecified:
		return "an unspecified address (0.0.0.0/8 or ::)"
	case linkLocal:
		return "a link-local address (cloud metadata services listen there)"
	case metadata:
		return "a cloud metadata service address"
	case multicast:
		return "a multicast or broadcast address"
	case private:
		return "a private or loopback address, refused by the public-only policy"
	}
	return "allowed"
}

var (
	// metadataAddrs are cloud metadata services outside the link-local
	// range: AWS IMDS over IPv6, Alibaba Cloud, and Azure's WireServer.
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("fd00:ec2::254"),
		netip.MustParseAddr("100.100.100.200"),
		netip.MustParseAddr("168.63.129.16"),
	}
	imdsV6 = metadataAddrs[0]

	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	broadcast   = netip.MustParseAddr("255.255.255.255")
	// nat64 is the well-known NAT64 prefix (RFC 6052): a gateway translates
	// 64:ff9b::a.b.c.d to the IPv4 address a.b.c.d.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
)

func judge(ip netip.Addr, p Policy) verdict {
	if !ip.IsValid() {
		return notAnAddress
	}
	ip = embeddedIPv4(ip.WithZone(""))
	switch {
	case ip.IsUnspecified() || thisNetwork.Contains(ip):
		return unspecified
	case ip.IsLinkLocalUnicast():
		return linkLocal
	case isMetadata(ip):
		return metadata
	case ip.IsMulticast() || ip == broadcast:
		return multicast
	// Any policy but AllowPrivate refuses private networks, so an unknown
	// value fails closed.
	case p != AllowPrivate && (ip.IsLoopback() || ip.IsPrivate() || cgnat.Contains(ip)):
		return private
	}
	return allowed
}

func isMetadata(ip netip.Addr) bool {
	for _, m := range metadataAddrs {
		if ip == m {
			return true
		}
	}
	return false
}

// embeddedIPv4 returns the IPv4 address an IPv6 address stands for: the
// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64
// (64:ff9b::a.b.c.d) forms all reach a.b.c.d. Other addresses are returned
// unchanged.
func embeddedIPv4(ip netip.Addr) netip.Addr {
	if ip.Is4In6() {
		return ip.Unmap()
	}
	if !ip.Is6() || ip == netip.IPv6Loopback() {
		return ip
	}
	b := ip.As16()
	if [12]byte(b[:12]) == [12]byte{} || nat64.Contains(ip) {
		return netip.AddrFrom4([4]byte(b[12:]))
	}
	return ip
}
