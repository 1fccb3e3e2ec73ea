package netguard

import (
	"encoding/binary"
	"net/netip"
)

// ranges is the one table every egress decision is read from: the IANA IPv4
// and IPv6 Special-Purpose Address Registries (RFC 6890 and later RFCs), the
// parts of the IPv6 address space outside global unicast, multicast, and the
// cloud metadata addresses. An address is judged by the most specific row
// that contains it; an address in no row is a public unicast address, allowed
// under every policy.
//
// Which rows AllowPrivate (the default) allows:
//   - the ranges a self-hosted provider may live on: loopback, private-use,
//     shared (CGNAT: Tailscale), unique-local and the deprecated site-local
//     prefix that preceded it;
//   - benchmarking 198.18.0.0/15, because fake-IP proxies (Clash and mihomo's
//     fake-ip-range, sing-box's inet4_range) answer every DNS query with an
//     address from it, so refusing it would refuse every provider on such a
//     machine;
//   - reserved 240.0.0.0/4 ("Class E"), from which large private cloud
//     networks are numbered for want of RFC 1918 space;
//   - the IPv6 forms of an allowed IPv4 address (mapped, compatible, NAT64,
//     6to4, Teredo), which reach that IPv4 address.
//
// None of these adds a kind of destination the default policy does not
// already reach on the LAN. Every other row is refused under every policy:
// link-local, metadata, unspecified, multicast and broadcast addresses are the
// attacks the policy exists for, and documentation, protocol-assignment,
// anycast-service, discard and unallocated ranges never hold a provider or a
// web page, so refusing them costs nothing and closes ways around the rest.
//
// PublicOnly allows only public unicast addresses, the NAT64 and IPv4-mapped
// forms of public IPv4 addresses (an IPv6-only host reaches IPv4 providers
// through DNS64 and 64:ff9b::/96), and nothing else in this table.
var ranges = []addrRange{
	row("0.0.0.0/8", kindUnspecified, refusedByAll, "an unspecified address", `"this network", RFC 791`),
	row("10.0.0.0/8", kindLocal, allowedByDefault, "a private-use address", "RFC 1918"),
	row("100.64.0.0/10", kindLocal, allowedByDefault, "a shared (CGNAT) address", "RFC 6598"),
	row("100.100.100.200/32", kindMetadata, refusedByAll, "a cloud metadata service address", "Alibaba Cloud"),
	row("127.0.0.0/8", kindLocal, allowedByDefault, "a loopback address", "RFC 1122"),
	row("168.63.129.16/32", kindMetadata, refusedByAll, "a cloud metadata service address", "Azure WireServer"),
	row("169.254.0.0/16", kindLinkLocal, refusedByAll, "a link-local address", "cloud metadata services listen there"),
	row("172.16.0.0/12", kindLocal, allowedByDefault, "a private-use address", "RFC 1918"),
	row("192.0.0.0/24", kindSpecial, refusedByAll, "an IETF protocol assignments address", "RFC 6890"),
	row("192.0.0.0/29", kindSpecial, refusedByAll, "an IPv4 service continuity (DS-Lite) address", "RFC 7335"),
	row("192.0.0.8/32", kindSpecial, refusedByAll, "the IPv4 dummy address", "RFC 7600"),
	row("192.0.0.9/32", kindSpecial, refusedByAll, "the Port Control Protocol anycast address", "RFC 7723"),
	row("192.0.0.10/32", kindSpecial, refusedByAll, "the TURN anycast address", "RFC 8155"),
	row("192.0.0.170/31", kindSpecial, refusedByAll, "a NAT64/DNS64 discovery address", "RFC 7050"),
	row("192.0.2.0/24", kindSpecial, refusedByAll, "a documentation address", "TEST-NET-1, RFC 5737"),
	row("192.31.196.0/24", kindSpecial, refusedByAll, "an AS112 DNS sink address", "RFC 7535"),
	row("192.52.193.0/24", kindSpecial, refusedByAll, "an AMT relay address", "RFC 7450"),
	row("192.88.99.0/24", kindSpecial, refusedByAll, "a 6to4 relay anycast address", "deprecated by RFC 7526"),
	row("192.168.0.0/16", kindLocal, allowedByDefault, "a private-use address", "RFC 1918"),
	row("192.175.48.0/24", kindSpecial, refusedByAll, "an AS112 DNS sink address", "RFC 7534"),
	row("198.18.0.0/15", kindSpecial, allowedByDefault, "a benchmarking address", "RFC 2544, used by fake-IP proxies"),
	row("198.51.100.0/24", kindSpecial, refusedByAll, "a documentation address", "TEST-NET-2, RFC 5737"),
	row("203.0.113.0/24", kindSpecial, refusedByAll, "a documentation address", "TEST-NET-3, RFC 5737"),
	row("224.0.0.0/4", kindMulticast, refusedByAll, "a multicast address", "RFC 5771"),
	row("240.0.0.0/4", kindSpecial, allowedByDefault, "a reserved address", "RFC 1112"),
	row("255.255.255.255/32", kindMulticast, refusedByAll, "the limited broadcast address", "RFC 919"),

	// Only 2000::/3 is allocated for global unicast; the rest of the IPv6
	// space is reserved by the IETF, or assigned to the rows below.
	row("::/3", kindSpecial, refusedByAll, "a reserved address", "outside global unicast 2000::/3, RFC 4291"),
	row("4000::/2", kindSpecial, refusedByAll, "a reserved address", "outside global unicast 2000::/3, RFC 4291"),
	row("8000::/1", kindSpecial, refusedByAll, "a reserved address", "outside global unicast 2000::/3, RFC 4291"),
	row("::/128", kindUnspecified, refusedByAll, "the unspecified address", "RFC 4291"),
	row("::1/128", kindLocal, allowedByDefault, "the loopback address", "RFC 4291"),
	// Compatible addresses are deprecated, but today's default policy judges
	// them as their IPv4 address and nothing is gained by changing that.
	row("::/96", kindSpecial, allowedByDefault, "an IPv4-compatible address", "deprecated by RFC 4291").
		embedding(ipv4Spelling, last32),
	row("::ffff:0:0/96", kindSpecial, allowedByAll, "an IPv4-mapped address", "RFC 4291").
		embedding(ipv4Spelling, last32),
	row("::ffff:0:0:0/96", kindSpecial, refusedByAll, "an IPv4-translated address", "RFC 2765, obsoleted by RFC 6145").
		embedding(0, last32),
	row("64:ff9b::/96", kindSpecial, allowedByAll, "a NAT64 address", "well-known prefix, RFC 6052").
		embedding(0, last32),
	// The local-use prefix may be split into a /48, /56, /64 or /96 (RFC 6052
	// §2.2), each placing the IPv4 address elsewhere, and which one the
	// translator uses is known only to the network's operator: every reading
	// may be the real one, and one of them is nearly always 0.0.0.0/8. So the
	// whole prefix is refused rather than guessed at.
	row("64:ff9b:1::/48", kindSpecial, refusedByAll, "a local-use NAT64 address",
		"RFC 8215; which IPv4 address it reaches depends on the translator's prefix length, so it cannot be checked"),
	row("100::/64", kindSpecial, refusedByAll, "a discard-only address", "RFC 6666"),
	row("100:0:0:1::/64", kindSpecial, refusedByAll, "a dummy address", "dummy IPv6 prefix"),
	row("2001::/23", kindSpecial, refusedByAll, "an IETF protocol assignments address", "RFC 2928"),
	// Teredo reaches its client through its server; either may be the
	// target, so both are judged.
	row("2001::/32", kindSpecial, allowedByDefault, "a Teredo address", "RFC 4380").
		embedding(0, teredo),
	row("2001:1::1/128", kindSpecial, refusedByAll, "the Port Control Protocol anycast address", "RFC 7723"),
	row("2001:1::2/128", kindSpecial, refusedByAll, "the TURN anycast address", "RFC 8155"),
	row("2001:1::3/128", kindSpecial, refusedByAll, "the DNS-SD service registration anycast address", "RFC 9665"),
	row("2001:2::/48", kindSpecial, refusedByAll, "a benchmarking address", "RFC 5180"),
	row("2001:3::/32", kindSpecial, refusedByAll, "an AMT relay address", "RFC 7450"),
	row("2001:4:112::/48", kindSpecial, refusedByAll, "an AS112 DNS sink address", "RFC 7535"),
	row("2001:10::/28", kindSpecial, refusedByAll, "a deprecated ORCHID address", "RFC 4843"),
	row("2001:20::/28", kindSpecial, refusedByAll, "an ORCHIDv2 address", "RFC 7343"),
	row("2001:30::/28", kindSpecial, refusedByAll, "a drone remote ID (DET) address", "RFC 9374"),
	row("2001:db8::/32", kindSpecial, refusedByAll, "a documentation address", "RFC 3849"),
	row("2002::/16", kindSpecial, allowedByDefault, "a 6to4 address", "RFC 3056").
		embedding(0, sixToFour),
	row("2620:4f:8000::/48", kindSpecial, refusedByAll, "an AS112 DNS sink address", "RFC 7534"),
	row("3fff::/20", kindSpecial, refusedByAll, "a documentation address", "RFC 9637"),
	row("5f00::/16", kindSpecial, refusedByAll, "a segment routing (SRv6) SID", "RFC 9602"),
	row("fc00::/7", kindLocal, allowedByDefault, "a unique-local address", "RFC 4193"),
	row("fd00:ec2::254/128", kindMetadata, refusedByAll, "a cloud metadata service address", "AWS IMDS over IPv6"),
	row("fe80::/10", kindLinkLocal, refusedByAll, "a link-local address", "cloud metadata services listen there"),
	row("fec0::/10", kindLocal, allowedByDefault, "a site-local address", "deprecated by RFC 3879"),
	row("ff00::/8", kindMulticast, refusedByAll, "a multicast address", "RFC 4291"),
}

// imdsV6 has its own message in ValidateURL, the original's.
var imdsV6 = netip.MustParseAddr("fd00:ec2::254")

// addrRange is one row of the table.
type addrRange struct {
	prefix netip.Prefix
	kind   kind
	allow  allowance
	// name says what an address in the range is, after "<address> is"; note
	// (its RFC, or why it matters) follows in parentheses.
	name, note string
	// embeds returns the IPv4 addresses an address in the range reaches,
	// which are judged before the range's own allowance.
	embeds func(netip.Addr) []embedded
	flags  rangeFlags
}

type rangeFlags uint8

// ipv4Spelling marks a range whose addresses are only another way to write
// an IPv4 address: ValidateURL words their refusals as the IPv4 address's, as
// the original does.
const ipv4Spelling rangeFlags = 1

// embedded is an IPv4 address inside an IPv6 one, and its role there.
type embedded struct {
	role string // after "whose": "IPv4 address", "server", "client"
	addr netip.Addr
}

// kind groups rows that share a ValidateURL message.
type kind int

const (
	kindSpecial kind = iota
	kindUnspecified
	kindLinkLocal
	kindMetadata
	kindMulticast
	kindLocal // loopback and private networks
)

// allowance says which policies allow a row. A policy that allows less than
// AllowPrivate never allows a row AllowPrivate refuses, by construction.
type allowance int

const (
	refusedByAll     allowance = iota
	allowedByDefault           // allowed by AllowPrivate only
	allowedByAll
)

func row(prefix string, k kind, a allowance, name, note string) addrRange {
	return addrRange{prefix: netip.MustParsePrefix(prefix), kind: k, allow: a, name: name, note: note}
}

func (r addrRange) embedding(f rangeFlags, decode func(netip.Addr) []embedded) addrRange {
	r.flags, r.embeds = f, decode
	return r
}

// allows reports whether p allows an address of the range. A Policy value
// that is neither AllowPrivate nor PublicOnly is treated as PublicOnly, so an
// unknown value fails closed.
func (r *addrRange) allows(p Policy) bool {
	switch r.allow {
	case allowedByAll:
		return true
	case allowedByDefault:
		return p == AllowPrivate
	}
	return false
}

// describe says what an address of the range is: "a link-local address in
// 169.254.0.0/16 (cloud metadata services listen there)".
func (r *addrRange) describe() string {
	s := r.name
	if r.prefix.Bits() < r.prefix.Addr().BitLen() {
		s += " in " + r.prefix.String()
	}
	if r.note != "" {
		s += " (" + r.note + ")"
	}
	return s
}

// lookupRange returns the most specific row containing a, which has no zone,
// or nil for a public unicast address.
func lookupRange(a netip.Addr) *addrRange {
	var best *addrRange
	for i := range ranges {
		r := &ranges[i]
		if r.prefix.Contains(a) && (best == nil || r.prefix.Bits() > best.prefix.Bits()) {
			best = r
		}
	}
	return best
}

// last32 reads the IPv4 address in the last 32 bits: IPv4-mapped,
// IPv4-compatible, IPv4-translated and NAT64 /96 addresses.
func last32(a netip.Addr) []embedded {
	b := a.As16()
	return []embedded{{"IPv4 address", netip.AddrFrom4([4]byte(b[12:16]))}}
}

// sixToFour reads the IPv4 address of a 6to4 site in bits 16 to 48 (RFC 3056).
func sixToFour(a netip.Addr) []embedded {
	b := a.As16()
	return []embedded{{"IPv4 address", netip.AddrFrom4([4]byte(b[2:6]))}}
}

// teredo reads the server's IPv4 address in bits 32 to 64 and the client's,
// inverted, in the last 32 bits (RFC 4380 §4).
func teredo(a netip.Addr) []embedded {
	b := a.As16()
	var client [4]byte
	binary.BigEndian.PutUint32(client[:], ^binary.BigEndian.Uint32(b[12:16]))
	return []embedded{
		{"server", netip.AddrFrom4([4]byte(b[4:8]))},
		{"client", netip.AddrFrom4(client)},
	}
}
