package dist

import (
	"errors"
	"fmt"
	"strings"
)

// Flags is a set of distribution capability flags (DFLAG_* of OTP's
// kernel/include/dist.hrl), sent in both 'N' handshake messages. Each side
// then uses only what both advertised (Negotiate).
type Flags uint64

// The distribution flags, with OTP's values (BEAM.md §1.2).
const (
	FlagPublished          Flags = 0x01      // the node shows in Node.list(); hidden otherwise
	FlagAtomCache          Flags = 0x02      // the old atom cache (unused since R13)
	FlagExtendedReferences Flags = 0x04      // references of several ID words
	FlagDistMonitor        Flags = 0x08      // MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT
	FlagFunTags            Flags = 0x10      // FUN_EXT
	FlagDistMonitorName    Flags = 0x20      // monitors by registered name
	FlagHiddenAtomCache    Flags = 0x40      // atom cache on hidden connections
	FlagNewFunTags         Flags = 0x80      // NEW_FUN_EXT
	FlagExtendedPidsPorts  Flags = 0x100     // pids and ports with extended fields
	FlagExportPtrTag       Flags = 0x200     // EXPORT_EXT
	FlagBitBinaries        Flags = 0x400     // BIT_BINARY_EXT
	FlagNewFloats          Flags = 0x800     // NEW_FLOAT_EXT
	FlagUnicodeIO          Flags = 0x1000    // unicode io_request forms
	FlagDistHdrAtomCache   Flags = 0x2000    // 131 68 headers with an atom cache, instead of 112 frames
	FlagSmallAtomTags      Flags = 0x4000    // SMALL_ATOM_EXT
	FlagUTF8Atoms          Flags = 0x10000   // ATOM_UTF8_EXT and SMALL_ATOM_UTF8_EXT
	FlagMapTag             Flags = 0x20000   // MAP_EXT
	FlagBigCreation        Flags = 0x40000   // 32-bit creations: NEW_PID_EXT, NEWER_REFERENCE_EXT
	FlagSendSender         Flags = 0x80000   // SEND_SENDER instead of SEND
	FlagBigSeqtraceLabels  Flags = 0x100000  // any term as a sequential trace label
	FlagExitPayload        Flags = 0x400000  // PAYLOAD_EXIT, PAYLOAD_EXIT2, PAYLOAD_MONITOR_P_EXIT
	FlagFragments          Flags = 0x800000  // fragmented messages
	FlagHandshake23        Flags = 0x1000000 // the version-6 handshake ('N' messages)
	FlagUnlinkID           Flags = 0x2000000 // UNLINK_ID and UNLINK_ID_ACK (mandatory from OTP 26)
	FlagMandatory25Digest  Flags = 0x4000000 // stands for the whole Mandatory25 set
	FlagSpawn              Flags = 1 << 32   // SPAWN_REQUEST and SPAWN_REPLY
	FlagNameMe             Flags = 1 << 33   // the acceptor names a nameless initiator
	FlagV4NC               Flags = 1 << 34   // 64-bit port IDs, 5-word references (mandatory from OTP 26)
	FlagAlias              Flags = 1 << 35   // ALIAS_SEND
)

// Flag sets.
const (
	// Mandatory25 is what an OTP 25 node requires of its peer
	// (MANDATORY_DFLAGS_25, 0x1070F94).
	Mandatory25 = FlagExtendedReferences | FlagFunTags | FlagNewFunTags | FlagExtendedPidsPorts |
		FlagExportPtrTag | FlagBitBinaries | FlagNewFloats | FlagUTF8Atoms | FlagMapTag |
		FlagBigCreation | FlagHandshake23

	// Mandatory26 adds what OTP 26 and 27 also require [SOURCE in
	// BEAM.md §1.2; untested against a real OTP 26].
	Mandatory26 = Mandatory25 | FlagUnlinkID | FlagV4NC

	// Rejectable are the flags an OTP node lets a peer leave out; the atom
	// caches and fragments are what chatd leaves out, so that frames are
	// plain 112 pass-through both ways.
	Rejectable = FlagAtomCache | FlagHiddenAtomCache | FlagDistHdrAtomCache | FlagFragments

	// OTP25Published is what a published OTP 25.2.3 node sends
	// (0x0000000D07DF7FBD), as in the captures.
	OTP25Published Flags = 0x0000000D07DF7FBD

	// PublishedFlags is what chatd sends as a published node
	// (0x0000000D07075FBD, verified accepted by OTP 25): the mandatory set
	// and its digest bit, DIST_MONITOR(_NAME), UNICODE_IO, SMALL_ATOM_TAGS,
	// UNLINK_ID, SPAWN, V4_NC and ALIAS; no atom cache, fragments,
	// EXIT_PAYLOAD or SEND_SENDER (BEAM.md §1.2 says why).
	PublishedFlags = FlagPublished | Mandatory25 | FlagMandatory25Digest | FlagDistMonitor |
		FlagDistMonitorName | FlagUnicodeIO | FlagSmallAtomTags | FlagUnlinkID | FlagSpawn |
		FlagV4NC | FlagAlias

	// HiddenFlags is PublishedFlags without PUBLISHED (0x0000000D07075FBC):
	// BEAM nodes then list chatd only in Node.list(:hidden).
	HiddenFlags = PublishedFlags &^ FlagPublished
)

// flagNames are OTP's names for the flags, lowest bit first.
var flagNames = []struct {
	flag Flags
	name string
}{
	{FlagPublished, "PUBLISHED"}, {FlagAtomCache, "ATOM_CACHE"},
	{FlagExtendedReferences, "EXTENDED_REFERENCES"}, {FlagDistMonitor, "DIST_MONITOR"},
	{FlagFunTags, "FUN_TAGS"}, {FlagDistMonitorName, "DIST_MONITOR_NAME"},
	{FlagHiddenAtomCache, "HIDDEN_ATOM_CACHE"}, {FlagNewFunTags, "NEW_FUN_TAGS"},
	{FlagExtendedPidsPorts, "EXTENDED_PIDS_PORTS"}, {FlagExportPtrTag, "EXPORT_PTR_TAG"},
	{FlagBitBinaries, "BIT_BINARIES"}, {FlagNewFloats, "NEW_FLOATS"}, {FlagUnicodeIO, "UNICODE_IO"},
	{FlagDistHdrAtomCache, "DIST_HDR_ATOM_CACHE"}, {FlagSmallAtomTags, "SMALL_ATOM_TAGS"},
	{FlagUTF8Atoms, "UTF8_ATOMS"}, {FlagMapTag, "MAP_TAG"}, {FlagBigCreation, "BIG_CREATION"},
	{FlagSendSender, "SEND_SENDER"}, {FlagBigSeqtraceLabels, "BIG_SEQTRACE_LABELS"},
	{FlagExitPayload, "EXIT_PAYLOAD"}, {FlagFragments, "FRAGMENTS"}, {FlagHandshake23, "HANDSHAKE_23"},
	{FlagUnlinkID, "UNLINK_ID"}, {FlagMandatory25Digest, "MANDATORY_25_DIGEST"},
	{FlagSpawn, "SPAWN"}, {FlagNameMe, "NAME_ME"}, {FlagV4NC, "V4_NC"}, {FlagAlias, "ALIAS"},
}

// Has reports whether f holds every flag of g.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Expand returns f with the whole Mandatory25 set added when f has
// MANDATORY_25_DIGEST, as OTP reads a peer's flags
// (dist_util:expand_mandatory_25_flag).
func (f Flags) Expand() Flags {
	if f.Has(FlagMandatory25Digest) {
		return f | Mandatory25
	}
	return f
}

// Names returns the OTP names of the flags in f, lowest bit first; bits
// without a name show as hex.
func (f Flags) Names() []string {
	var names []string
	for _, fl := range flagNames {
		if f.Has(fl.flag) {
			names = append(names, fl.name)
			f &^= fl.flag
		}
	}
	for f != 0 {
		bit := f & -f
		names = append(names, fmt.Sprintf("%#x", uint64(bit)))
		f &^= bit
	}
	return names
}

// String returns the flags as "0xd07075fbd [PUBLISHED EXTENDED_REFERENCES ...]".
func (f Flags) String() string {
	return fmt.Sprintf("%#x [%s]", uint64(f), strings.Join(f.Names(), " "))
}

// Negotiate returns the flags a connection uses: those both sides
// advertised (dist_util:adjust_flags), the peer's read with Expand. A
// connection is published only when both sides are.
func Negotiate(ours, theirs Flags) Flags { return ours & theirs.Expand() }

// ErrMissingFlags is wrapped by *MissingFlagsError.
var ErrMissingFlags = errors.New("dist: mandatory distribution flags missing")

// MissingFlagsError says which required flags a peer did not advertise.
// Its text is OTP's: an OTP 25 acceptor logs "Connection attempt from node
// :noflag@localhost rejected since it cannot handle ['MAP_TAG']" and
// answers 'not_allowed'.
type MissingFlagsError struct {
	Missing Flags
}

func (e *MissingFlagsError) Error() string {
	names := e.Missing.Names()
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 { // OTP lists the highest bit first
		names[i], names[j] = names[j], names[i]
	}
	return "cannot handle ['" + strings.Join(names, "', '") + "']"
}

// Unwrap returns ErrMissingFlags.
func (e *MissingFlagsError) Unwrap() error { return ErrMissingFlags }

// CheckMandatory returns a *MissingFlagsError when the peer's flags (read
// with Expand) lack any flag of Mandatory25, as an OTP 25 node checks them.
func CheckMandatory(peer Flags) error { return Require(peer, Mandatory25) }

// Require returns a *MissingFlagsError when the peer's flags (read with
// Expand) lack any of required.
func Require(peer, required Flags) error {
	if missing := required &^ peer.Expand(); missing != 0 {
		return &MissingFlagsError{Missing: missing}
	}
	return nil
}
