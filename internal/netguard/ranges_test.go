package netguard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// rowCases states, independently of the table, what each row of ranges must
// decide: an address inside the row (and in no more specific row), whether
// each policy allows it, a phrase of the reason, and, where there is one, a
// public address just outside the row, which both policies allow.
var rowCases = []struct {
	prefix       string
	inside       string
	allowPrivate bool // under AllowPrivate
	allowPublic  bool // under PublicOnly
	phrase       string
	outside      string
}{
	{"0.0.0.0/8", "0.255.255.255", false, false, "unspecified", "1.0.0.0"},
	{"10.0.0.0/8", "10.255.255.255", true, false, "private-use", "11.0.0.0"},
	{"100.64.0.0/10", "100.127.255.255", true, false, "CGNAT", "100.128.0.0"},
	{"100.100.100.200/32", "100.100.100.200", false, false, "metadata", ""},
	{"127.0.0.0/8", "127.255.255.255", true, false, "loopback", "128.0.0.0"},
	{"168.63.129.16/32", "168.63.129.16", false, false, "metadata", "168.63.129.17"},
	{"169.254.0.0/16", "169.254.255.255", false, false, "link-local", "169.255.0.0"},
	{"172.16.0.0/12", "172.31.255.255", true, false, "private-use", "172.32.0.0"},
	{"192.0.0.0/24", "192.0.0.255", false, false, "IETF protocol assignments", "192.0.1.0"},
	{"192.0.0.0/29", "192.0.0.7", false, false, "DS-Lite", ""},
	{"192.0.0.8/32", "192.0.0.8", false, false, "dummy", ""},
	{"192.0.0.9/32", "192.0.0.9", false, false, "Port Control Protocol", ""},
	{"192.0.0.10/32", "192.0.0.10", false, false, "TURN", ""},
	{"192.0.0.170/31", "192.0.0.171", false, false, "NAT64/DNS64 discovery", ""},
	{"192.0.2.0/24", "192.0.2.255", false, false, "documentation", "192.0.3.0"},
	{"192.31.196.0/24", "192.31.196.1", false, false, "AS112", "192.31.197.0"},
	{"192.52.193.0/24", "192.52.193.1", false, false, "AMT", "192.52.194.0"},
	{"192.88.99.0/24", "192.88.99.1", false, false, "6to4 relay anycast", "192.88.100.0"},
	{"192.168.0.0/16", "192.168.255.255", true, false, "private-use", "192.169.0.0"},
	{"192.175.48.0/24", "192.175.48.1", false, false, "AS112", "192.175.49.0"},
	{"198.18.0.0/15", "198.19.255.255", true, false, "benchmarking", "198.20.0.0"},
	{"198.51.100.0/24", "198.51.100.255", false, false, "documentation", "198.51.101.0"},
	{"203.0.113.0/24", "203.0.113.255", false, false, "documentation", "203.0.114.0"},
	{"224.0.0.0/4", "239.255.255.255", false, false, "multicast", "223.255.255.255"},
	{"240.0.0.0/4", "255.255.255.254", true, false, "reserved", ""},
	{"255.255.255.255/32", "255.255.255.255", false, false, "broadcast", ""},

	{"::/3", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false, false, "reserved", "2000::1"},
	{"4000::/2", "7fff::1", false, false, "reserved", "3fff:ffff::1"},
	{"8000::/1", "8000::1", false, false, "reserved", ""},
	{"::/128", "::", false, false, "unspecified", ""},
	{"::1/128", "::1", true, false, "loopback", ""},
	{"::/96", "::8.8.8.8", true, false, "IPv4-compatible", ""},
	{"::ffff:0:0/96", "::ffff:8.8.8.8", true, true, "", ""},
	{"::ffff:0:0:0/96", "::ffff:0:8.8.8.8", false, false, "IPv4-translated", ""},
	{"64:ff9b::/96", "64:ff9b::8.8.8.8", true, true, "", ""},
	{"64:ff9b:1::/48", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", false, false, "local-use NAT64", ""},
	{"100::/64", "100::ffff:ffff:ffff:ffff", false, false, "discard-only", ""},
	{"100:0:0:1::/64", "100:0:0:1::1", false, false, "dummy", ""},
	{"2001::/23", "2001:1ff:ffff::1", false, false, "IETF protocol assignments", "2001:200::1"},
	// Server 65.54.227.120, client 8.8.8.8.
	{"2001::/32", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", true, false, "Teredo", ""},
	{"2001:1::1/128", "2001:1::1", false, false, "Port Control Protocol", ""},
	{"2001:1::2/128", "2001:1::2", false, false, "TURN", ""},
	{"2001:1::3/128", "2001:1::3", false, false, "DNS-SD", ""},
	{"2001:2::/48", "2001:2:0:ffff::1", false, false, "benchmarking", ""},
	{"2001:3::/32", "2001:3:ffff::1", false, false, "AMT", ""},
	{"2001:4:112::/48", "2001:4:112:ffff::1", false, false, "AS112", ""},
	{"2001:10::/28", "2001:1f:ffff::1", false, false, "ORCHID", ""},
	{"2001:20::/28", "2001:2f::1", false, false, "ORCHIDv2", ""},
	{"2001:30::/28", "2001:3f::1", false, false, "DET", ""},
	{"2001:db8::/32", "2001:db8:ffff::1", false, false, "documentation", "2001:db9::1"},
	{"2002::/16", "2002:808:808::1", true, false, "6to4", "2003::1"},
	{"2620:4f:8000::/48", "2620:4f:8000:ffff::1", false, false, "AS112", "2620:4f:8001::1"},
	{"3fff::/20", "3fff:fff:ffff::1", false, false, "documentation", "3fff:1000::1"},
	{"5f00::/16", "5f00:ffff::1", false, false, "SRv6", ""},
	{"fc00::/7", "fdff:ffff::1", true, false, "unique-local", ""},
	{"fd00:ec2::254/128", "fd00:ec2::254", false, false, "metadata", ""},
	{"fe80::/10", "febf:ffff::1", false, false, "link-local", ""},
	{"fec0::/10", "feff:ffff::1", true, false, "site-local", ""},
	{"ff00::/8", "ffff::1", false, false, "multicast", ""},
}

func TestRangeTable(t *testing.T) {
	listed := map[netip.Prefix]bool{}
	for _, rc := range rowCases {
		listed[netip.MustParsePrefix(rc.prefix)] = true
	}
	for _, r := range ranges {
		if !listed[r.prefix] {
			t.Errorf("the table row %s has no case here", r.prefix)
		}
		delete(listed, r.prefix)
	}
	for p := range listed {
		t.Errorf("the case for %s has no row in the table", p)
	}

	for _, rc := range rowCases {
		for _, pc := range []struct {
			policy Policy
			allow  bool
		}{{AllowPrivate, rc.allowPrivate}, {PublicOnly, rc.allowPublic}} {
			name := fmt.Sprintf("%s inside %s is %s under %s", rc.inside, rc.prefix, allowedWord(pc.allow), pc.policy)
			t.Run(name, func(t *testing.T) {
				inside := netip.MustParseAddr(rc.inside)
				if r := lookupRange(inside); r == nil || r.prefix != netip.MustParsePrefix(rc.prefix) {
					t.Fatalf("lookupRange(%s) = %v, want the row %s", inside, r, rc.prefix)
				}
				checkVerdict(t, inside, pc.policy, pc.allow, rc.phrase)
			})
			if rc.outside == "" {
				continue
			}
			t.Run(fmt.Sprintf("%s just outside %s is allowed under %s", rc.outside, rc.prefix, pc.policy), func(t *testing.T) {
				checkVerdict(t, netip.MustParseAddr(rc.outside), pc.policy, true, "")
			})
		}
	}
}

// checkVerdict checks that CheckIP and ValidateURL both allow a under p, or
// both refuse it, CheckIP with a reason mentioning phrase.
func checkVerdict(t *testing.T, a netip.Addr, p Policy, allow bool, phrase string) {
	t.Helper()
	err := CheckIP(a, p)
	switch {
	case allow && err != nil:
		t.Errorf("CheckIP(%s, %s) = %v, want allowed", a, p, err)
	case !allow && !errors.Is(err, ErrBlocked):
		t.Errorf("CheckIP(%s, %s) = %v, want an error wrapping ErrBlocked", a, p, err)
	case !allow && !strings.Contains(err.Error(), phrase):
		t.Errorf("CheckIP(%s, %s) = %q, want the reason to mention %q", a, p, err, phrase)
	}
	url := "http://" + netip.AddrPortFrom(a, 8080).String() + "/v1"
	verr := New(Options{Policy: p}).ValidateURL(context.Background(), url)
	if allow && verr != nil {
		t.Errorf("ValidateURL(%q) under %s = %v, want nil as CheckIP allows it", url, p, verr)
	}
	if !allow && !errors.Is(verr, ErrBlocked) {
		t.Errorf("ValidateURL(%q) under %s = %v, want a refusal wrapping ErrBlocked as CheckIP gives", url, p, verr)
	}
}

func allowedWord(ok bool) string {
	if ok {
		return "allowed"
	}
	return "refused"
}

func TestRangeTableIsWellFormed(t *testing.T) {
	seen := map[netip.Prefix]bool{}
	for _, r := range ranges {
		if r.prefix != r.prefix.Masked() {
			t.Errorf("row %s has host bits set; a reader would take it for %s", r.prefix, r.prefix.Masked())
		}
		if seen[r.prefix] {
			t.Errorf("row %s appears twice, so which one decides is unclear", r.prefix)
		}
		seen[r.prefix] = true
		if r.name == "" {
			t.Errorf("row %s has no name for its refusals", r.prefix)
		}
		if r.embeds == nil {
			if r.flags&ipv4Spelling != 0 {
				t.Errorf("row %s is marked an IPv4 spelling but embeds nothing", r.prefix)
			}
			continue
		}
		if !r.prefix.Addr().Is6() {
			t.Errorf("row %s embeds addresses, but only IPv6 rows may: judge does not recurse", r.prefix)
		}
		for _, e := range r.embeds(r.prefix.Addr()) {
			if !e.addr.Is4() || e.role == "" {
				t.Errorf("row %s embeds %v (role %q), want an IPv4 address with a role", r.prefix, e.addr, e.role)
			}
		}
	}
}

func TestCheckIPDecodesEmbeddedIPv4(t *testing.T) {
	tests := []struct {
		name   string
		ip     string
		policy Policy
		want   []string // phrases of the refusal, none when allowed
	}{
		{"a 6to4 address of the metadata address is refused", "2002:a9fe:a9fe::", AllowPrivate,
			[]string{"2002:a9fe:a9fe::", "6to4", "IPv4 address 169.254.169.254", "link-local"}},
		{"a 6to4 address of the metadata address is refused under public-only", "2002:a9fe:a9fe::", PublicOnly,
			[]string{"2002:a9fe:a9fe::", "169.254.169.254", "link-local"}},
		{"a 6to4 address of Alibaba's metadata address is refused", "2002:6464:64c8::1", AllowPrivate,
			[]string{"2002:6464:64c8::1", "100.100.100.200", "metadata"}},
		{"a 6to4 address of 0.0.0.0 is refused", "2002::1", AllowPrivate, []string{"0.0.0.0", "unspecified"}},
		{"a 6to4 address of a public address is allowed by default", "2002:808:808::1", AllowPrivate, nil},
		{"a 6to4 address of a public address is refused under public-only", "2002:808:808::1", PublicOnly,
			[]string{"6to4", "public-only"}},
		{"a 6to4 address of a private address names it under public-only", "2002:a00:1::", PublicOnly,
			[]string{"2002:a00:1::", "10.0.0.1", "private-use", "public-only"}},
		{"a 6to4 address of a private address is allowed by default", "2002:a00:1::", AllowPrivate, nil},

		// RFC 4380: server IPv4 in bits 32-64, client IPv4 inverted in the last 32 bits.
		{"a Teredo address whose server is the metadata address is refused", "2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7", AllowPrivate,
			[]string{"2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7", "Teredo", "server 169.254.169.254", "link-local"}},
		{"a Teredo address whose client is the metadata address is refused", "2001:0:4136:e378:8000:63bf:5601:5601", AllowPrivate,
			[]string{"2001:0:4136:e378:8000:63bf:5601:5601", "Teredo", "client 169.254.169.254", "link-local"}},
		{"a Teredo address whose client is the metadata address is refused under public-only", "2001:0:4136:e378:8000:63bf:5601:5601", PublicOnly,
			[]string{"client 169.254.169.254", "link-local"}},
		{"a Teredo address whose client is multicast is refused", "2001:0:4136:e378:8000:63bf:1fff:ff06", AllowPrivate,
			[]string{"client 224.0.0.249", "multicast"}},
		{"a Teredo address of public server and client is allowed by default", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", AllowPrivate, nil},
		{"a Teredo address of public server and client is refused under public-only", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", PublicOnly,
			[]string{"Teredo", "public-only"}},

		{"a NAT64 address of the metadata address is refused", "64:ff9b::a9fe:a9fe", AllowPrivate,
			[]string{"64:ff9b::a9fe:a9fe", "NAT64", "IPv4 address 169.254.169.254", "link-local"}},
		{"a NAT64 address of a public address is allowed, as DNS64 hands them out", "64:ff9b::808:808", AllowPrivate, nil},
		{"a NAT64 address of a public address is allowed under public-only", "64:ff9b::808:808", PublicOnly, nil},
		{"a NAT64 address of a benchmarking address is refused under public-only", "64:ff9b::c612:1", PublicOnly,
			[]string{"64:ff9b::c612:1", "198.18.0.1", "benchmarking"}},

		// 64:ff9b:1::/48 is refused whole: where the IPv4 address sits depends
		// on the translator's prefix length.
		{"a local-use NAT64 address read as a /96 is refused", "64:ff9b:1::a9fe:a9fe", AllowPrivate,
			[]string{"64:ff9b:1::a9fe:a9fe", "local-use NAT64", "cannot be checked"}},
		{"a local-use NAT64 address read as a /48 is refused", "64:ff9b:1:a9fe:a9:fe00::", AllowPrivate,
			[]string{"local-use NAT64"}},
		{"a local-use NAT64 address read as a /56 is refused", "64:ff9b:1:a9:fe:a9fe::", AllowPrivate,
			[]string{"local-use NAT64"}},
		{"a local-use NAT64 address read as a /64 is refused", "64:ff9b:1:0:a9:fea9:fe00:0", AllowPrivate,
			[]string{"local-use NAT64"}},
		{"a local-use NAT64 address of a public address is refused too", "64:ff9b:1::808:808", AllowPrivate,
			[]string{"local-use NAT64"}},
		{"a local-use NAT64 address is refused under public-only", "64:ff9b:1::808:808", PublicOnly,
			[]string{"local-use NAT64"}},

		{"an IPv4-mapped address names both addresses", "::ffff:169.254.169.254", AllowPrivate,
			[]string{"::ffff:169.254.169.254", "IPv4-mapped", "169.254.169.254 is a link-local"}},
		{"an IPv4-translated metadata address is refused", "::ffff:0:a9fe:a9fe", AllowPrivate,
			[]string{"IPv4-translated", "169.254.169.254", "link-local"}},
		{"an IPv4-compatible public address is allowed by default, as before", "::8.8.8.8", AllowPrivate, nil},
		{"an IPv4-compatible public address is refused under public-only", "::8.8.8.8", PublicOnly,
			[]string{"IPv4-compatible", "public-only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckIP(netip.MustParseAddr(tt.ip), tt.policy)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckIP(%s, %s) = %v, want allowed", tt.ip, tt.policy, err)
				}
				return
			}
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("CheckIP(%s, %s) = %v, want an error wrapping ErrBlocked", tt.ip, tt.policy, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckIP(%s, %s) = %q, want the reason to mention %q", tt.ip, tt.policy, err, w)
				}
			}
		})
	}
}

func TestCheckIPReportedSpecialPurposeAddresses(t *testing.T) {
	tests := []struct {
		name    string
		ip      string
		private bool // allowed under AllowPrivate
		phrase  string
	}{
		{"a benchmarking address is allowed by default for fake-IP proxies and refused under public-only", "198.18.0.1", true, "benchmarking"},
		{"a reserved address is allowed by default and refused under public-only", "240.0.0.1", true, "reserved"},
		{"a site-local address is allowed by default and refused under public-only", "fec0::1", true, "site-local"},
		{"a documentation address is refused under both policies", "192.0.2.1", false, "documentation"},
		{"an ORCHIDv2 address is refused under both policies", "2001:20::1", false, "ORCHIDv2"},
		{"a discard-only address is refused under both policies", "100::1", false, "discard-only"},
		{"an IPv6 documentation address is refused under both policies", "3fff::1", false, "documentation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := netip.MustParseAddr(tt.ip)
			checkVerdict(t, a, AllowPrivate, tt.private, tt.phrase)
			checkVerdict(t, a, PublicOnly, false, tt.phrase)
		})
	}
}

func FuzzCheckIP(f *testing.F) {
	for _, s := range []string{
		"2002:a9fe:a9fe::", "2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7", "2001:0:4136:e378:8000:63bf:5601:5601",
		"64:ff9b::a9fe:a9fe", "64:ff9b:1::a9fe:a9fe", "::ffff:169.254.169.254", "::169.254.169.254",
		"::ffff:198.18.0.1", "::ffff:240.0.0.1", "fec0::1", "fd00:ec2::254", "::1", "::", "2606:4700::1111",
		"::ffff:8.8.8.8", "::ffff:255.255.255.255", "ff02::1", "2001:db8::1",
	} {
		b := netip.MustParseAddr(s).As16()
		for p := range uint8(4) {
			f.Add(b[:], p, "")
		}
		f.Add(b[:], uint8(0), "eth0")
	}
	guards := map[Policy]*Guard{}
	for p := range Policy(4) {
		guards[p] = New(Options{Policy: p})
	}
	f.Fuzz(func(t *testing.T, raw []byte, policy uint8, zone string) {
		var b [16]byte
		copy(b[:], raw)
		ip := netip.AddrFrom16(b)
		// Policy values past PublicOnly are not valid, and must fail closed.
		p := Policy(policy % 4)
		err := CheckIP(ip, p)
		if err != nil && !errors.Is(err, ErrBlocked) {
			t.Fatalf("CheckIP(%s, %s) = %v, which does not wrap ErrBlocked", ip, p, err)
		}
		if again := CheckIP(ip, p); fmt.Sprint(again) != fmt.Sprint(err) {
			t.Fatalf("CheckIP(%s, %s) = %v, then %v", ip, p, err, again)
		}
		if CheckIP(ip, AllowPrivate) != nil && err == nil {
			t.Fatalf("CheckIP(%s) is refused by the default policy but allowed by %s", ip, p)
		}
		if z := CheckIP(ip.WithZone(zone), p); (z == nil) != (err == nil) {
			t.Fatalf("CheckIP(%s) = %v, but with zone %q = %v", ip, err, zone, z)
		}
		v4 := netip.AddrFrom4([4]byte(b[12:]))
		mapped := netip.AddrFrom16(v4.As16())
		if e4, e6 := CheckIP(v4, p), CheckIP(mapped, p); (e4 == nil) != (e6 == nil) {
			t.Fatalf("under %s, %s gets %v but its mapped form %s gets %v", p, v4, e4, mapped, e6)
		}
		url := "http://" + netip.AddrPortFrom(ip, 80).String() + "/"
		verr := guards[p].ValidateURL(context.Background(), url)
		if err == nil && verr != nil {
			t.Fatalf("CheckIP(%s, %s) allows it, but ValidateURL(%q) = %v", ip, p, url, verr)
		}
		if err != nil && !errors.Is(verr, ErrBlocked) {
			t.Fatalf("CheckIP(%s, %s) = %v, but ValidateURL(%q) = %v", ip, p, err, url, verr)
		}
	})
}
