package dist_test

import (
	"errors"
	"strings"
	"testing"

	"chatd/wire/dist"
)

func TestFlagValues(t *testing.T) {
	tests := []struct {
		name string
		got  dist.Flags
		want uint64
	}{
		// BEAM.md §1.2: erts_internal:get_dflags() on OTP 25.2.3, and chatd's sets.
		{"mandatory", dist.Mandatory25, 0x1070F94},
		{"rejectable", dist.Rejectable, 0x802042},
		{"published", dist.PublishedFlags, 0x0000000D07075FBD},
		{"hidden", dist.HiddenFlags, 0x0000000D07075FBC},
		{"OTP 25 default without PUBLISHED", dist.OTP25Published &^ dist.FlagPublished, 0xD07DF7FBC},
		{"MANDATORY_25_DIGEST is bit 26", dist.FlagMandatory25Digest, 1 << 26},
		{"ALIAS", dist.FlagAlias, 1 << 35},
	}
	for _, tc := range tests {
		if uint64(tc.got) != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, uint64(tc.got), tc.want)
		}
	}
	if dist.PublishedFlags&(dist.FlagDistHdrAtomCache|dist.FlagFragments) != 0 {
		t.Error("chatd's flags ask for the atom cache or fragments")
	}
}

// TestFlagNames checks the names against the capture proxy's decoding of a
// real OTP 25 'N' message (cap1.log).
func TestFlagNames(t *testing.T) {
	want := "PUBLISHED EXTENDED_REFERENCES DIST_MONITOR FUN_TAGS DIST_MONITOR_NAME NEW_FUN_TAGS " +
		"EXTENDED_PIDS_PORTS EXPORT_PTR_TAG BIT_BINARIES NEW_FLOATS UNICODE_IO DIST_HDR_ATOM_CACHE " +
		"SMALL_ATOM_TAGS UTF8_ATOMS MAP_TAG BIG_CREATION SEND_SENDER BIG_SEQTRACE_LABELS EXIT_PAYLOAD " +
		"FRAGMENTS HANDSHAKE_23 UNLINK_ID MANDATORY_25_DIGEST SPAWN V4_NC ALIAS"
	if got := strings.Join(dist.OTP25Published.Names(), " "); got != want {
		t.Fatalf("Names =\n%s\nwant\n%s", got, want)
	}
	if got := (dist.FlagPublished | 1<<40).String(); got != "0x10000000001 [PUBLISHED 0x10000000000]" {
		t.Fatalf("String = %s", got)
	}
}

func TestNegotiate(t *testing.T) {
	got := dist.Negotiate(dist.PublishedFlags, dist.OTP25Published)
	if got != dist.PublishedFlags {
		t.Errorf("chatd with OTP 25: %v, want all of chatd's flags", got)
	}
	if got := dist.Negotiate(dist.PublishedFlags, dist.HiddenFlags); got.Has(dist.FlagPublished) {
		t.Errorf("a hidden peer gives a published connection: %v", got)
	}
	// A peer that sets only the digest bit has the whole mandatory set.
	if got := dist.Negotiate(dist.PublishedFlags, dist.FlagMandatory25Digest); !got.Has(dist.Mandatory25) {
		t.Errorf("the digest bit was not expanded: %v", got)
	}
}

func TestCheckMandatory(t *testing.T) {
	tests := []struct {
		name  string
		flags dist.Flags
		want  string // "" for accepted
	}{
		{"OTP 25", dist.OTP25Published, ""},
		{"chatd", dist.HiddenFlags, ""},
		{"the digest bit alone", dist.FlagMandatory25Digest, ""},
		{"no MAP_TAG", dist.Mandatory25 &^ dist.FlagMapTag, "cannot handle ['MAP_TAG']"},
		{"neither MAP_TAG nor BIG_CREATION", dist.Mandatory25 &^ (dist.FlagMapTag | dist.FlagBigCreation),
			"cannot handle ['BIG_CREATION', 'MAP_TAG']"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := dist.CheckMandatory(tc.flags)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var missing *dist.MissingFlagsError
			if !errors.As(err, &missing) || !errors.Is(err, dist.ErrMissingFlags) || err.Error() != tc.want {
				t.Fatalf("CheckMandatory = %v, want %q", err, tc.want)
			}
		})
	}
	if err := dist.Require(dist.Mandatory25, dist.Mandatory26); err == nil || !strings.Contains(err.Error(), "'V4_NC', 'UNLINK_ID'") {
		t.Errorf("Require(OTP 26 set) = %v", err)
	}
}
