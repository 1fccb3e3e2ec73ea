package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckIP(t *testing.T) {
	tests := []struct {
		name   string
		ip     string // "" is the zero netip.Addr
		policy Policy
		want   string // a phrase of the refusal, "" when allowed
	}{
		{"a public IPv4 address is allowed", "93.184.216.34", AllowPrivate, ""},
		{"a public IPv6 address is allowed", "2606:4700::1111", AllowPrivate, ""},
		{"loopback is allowed for self-hosted providers", "127.0.0.1", AllowPrivate, ""},
		{"another loopback address is allowed", "127.0.0.2", AllowPrivate, ""},
		{"IPv6 loopback is allowed", "::1", AllowPrivate, ""},
		{"RFC 1918 10/8 is allowed", "10.0.0.50", AllowPrivate, ""},
		{"RFC 1918 172.16/12 is allowed", "172.16.0.1", AllowPrivate, ""},
		{"RFC 1918 192.168/16 is allowed", "192.168.1.100", AllowPrivate, ""},
		{"CGNAT (Tailscale) is allowed", "100.101.102.103", AllowPrivate, ""},
		{"an IPv6 unique-local address is allowed", "fd12:3456::1", AllowPrivate, ""},
		{"an IPv4-mapped private address is allowed", "::ffff:192.168.1.1", AllowPrivate, ""},

		{"the metadata address is refused as link-local", "169.254.169.254", AllowPrivate, "link-local"},
		{"any 169.254/16 address is refused", "169.254.0.1", AllowPrivate, "link-local"},
		{"IPv6 link-local is refused", "fe80::1", AllowPrivate, "link-local"},
		{"IPv6 link-local with a zone is refused", "fe80::1%eth0", AllowPrivate, "link-local"},
		{"AWS IMDS over IPv6 is refused although it is unique-local", "fd00:ec2::254", AllowPrivate, "metadata"},
		{"AWS IMDS over IPv6 with a zone is refused", "fd00:ec2::254%eth0", AllowPrivate, "metadata"},
		{"Alibaba Cloud's metadata address is refused", "100.100.100.200", AllowPrivate, "metadata"},
		{"Azure's WireServer is refused", "168.63.129.16", AllowPrivate, "metadata"},
		{"0.0.0.0 is refused", "0.0.0.0", AllowPrivate, "unspecified"},
		{"any 0/8 address is refused", "0.1.2.3", AllowPrivate, "unspecified"},
		{"the IPv6 unspecified address is refused", "::", AllowPrivate, "unspecified"},
		{"IPv4 multicast is refused", "224.0.0.251", AllowPrivate, "multicast"},
		{"IPv6 multicast is refused", "ff02::1", AllowPrivate, "multicast"},
		{"the broadcast address is refused", "255.255.255.255", AllowPrivate, "broadcast"},
		{"an IPv4-mapped metadata address is refused", "::ffff:169.254.169.254", AllowPrivate, "link-local"},
		{"an IPv4-compatible metadata address is refused", "::169.254.169.254", AllowPrivate, "link-local"},
		{"a NAT64 metadata address is refused", "64:ff9b::169.254.169.254", AllowPrivate, "link-local"},
		{"an IPv4-mapped 0.0.0.0 is refused", "::ffff:0.0.0.0", AllowPrivate, "unspecified"},
		{"the zero address is refused", "", AllowPrivate, "not a valid"},

		{"public-only still allows a public address", "93.184.216.34", PublicOnly, ""},
		{"public-only still allows a public IPv6 address", "2606:4700::1111", PublicOnly, ""},
		{"public-only allows an IPv4-mapped public address", "::ffff:8.8.8.8", PublicOnly, ""},
		{"public-only refuses loopback", "127.0.0.1", PublicOnly, "public-only"},
		{"public-only refuses IPv6 loopback", "::1", PublicOnly, "public-only"},
		{"public-only refuses 10/8", "10.0.0.1", PublicOnly, "public-only"},
		{"public-only refuses 172.16/12", "172.31.255.1", PublicOnly, "public-only"},
		{"public-only refuses 192.168/16", "192.168.1.1", PublicOnly, "public-only"},
		{"public-only refuses CGNAT", "100.64.0.1", PublicOnly, "public-only"},
		{"public-only refuses unique-local IPv6", "fd12:3456::1", PublicOnly, "public-only"},
		{"public-only refuses an IPv4-mapped private address", "::ffff:10.0.0.1", PublicOnly, "public-only"},
		{"public-only refuses an IPv4-compatible loopback address", "::127.0.0.1", PublicOnly, "public-only"},
		{"public-only still refuses the metadata address", "169.254.169.254", PublicOnly, "link-local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ip netip.Addr
			if tt.ip != "" {
				ip = netip.MustParseAddr(tt.ip)
			}
			err := CheckIP(ip, tt.policy)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckIP(%s, %s) = %v, want allowed", tt.ip, tt.policy, err)
				}
				return
			}
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("CheckIP(%s, %s) = %v, want an error wrapping ErrBlocked", tt.ip, tt.policy, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckIP(%s, %s) = %q, want the reason to mention %q", tt.ip, tt.policy, err, tt.want)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Policy
		wantErr bool
	}{
		{"an unset variable allows private networks", "", AllowPrivate, false},
		{"private allows private networks", "private", AllowPrivate, false},
		{"allow-private allows private networks", "allow-private", AllowPrivate, false},
		{"public-only selects PublicOnly", "public-only", PublicOnly, false},
		{"case and spaces are ignored", "  Public-Only ", PublicOnly, false},
		{"an unknown word is an error, not a silent default", "public", AllowPrivate, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicy(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePolicy(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParsePolicy(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if err == nil {
				if back, _ := ParsePolicy(got.String()); back != got {
					t.Errorf("ParsePolicy(%q.String()) = %s, want it to round-trip", got, back)
				}
			}
		})
	}
}
