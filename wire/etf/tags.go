package etf

import "strconv"

// Version is the byte that starts every encoded term (131), and each term
// of a 112 pass-through distribution frame.
const Version = 131

// The tags of erl_ext_dist that this package knows, by their OTP names.
const (
	tagNewFloat       = 70  // NEW_FLOAT_EXT
	tagBitBinary      = 77  // BIT_BINARY_EXT
	tagCompressed     = 80  // compressed term (refused)
	tagAtomCacheRef   = 82  // ATOM_CACHE_REF (refused)
	tagNewPid         = 88  // NEW_PID_EXT
	tagNewPort        = 89  // NEW_PORT_EXT
	tagNewerReference = 90  // NEWER_REFERENCE_EXT
	tagSmallInteger   = 97  // SMALL_INTEGER_EXT
	tagInteger        = 98  // INTEGER_EXT
	tagFloat          = 99  // FLOAT_EXT (refused: NEW_FLOATS is mandatory)
	tagAtom           = 100 // ATOM_EXT, latin-1 (decoded only)
	tagReference      = 101 // REFERENCE_EXT (refused)
	tagPort           = 102 // PORT_EXT (refused)
	tagPid            = 103 // PID_EXT (refused)
	tagSmallTuple     = 104 // SMALL_TUPLE_EXT
	tagLargeTuple     = 105 // LARGE_TUPLE_EXT
	tagNil            = 106 // NIL_EXT
	tagString         = 107 // STRING_EXT
	tagList           = 108 // LIST_EXT
	tagBinary         = 109 // BINARY_EXT
	tagSmallBig       = 110 // SMALL_BIG_EXT
	tagLargeBig       = 111 // LARGE_BIG_EXT
	tagNewFun         = 112 // NEW_FUN_EXT
	tagExport         = 113 // EXPORT_EXT
	tagNewReference   = 114 // NEW_REFERENCE_EXT (refused)
	tagSmallAtom      = 115 // SMALL_ATOM_EXT, latin-1 (decoded only)
	tagMap            = 116 // MAP_EXT
	tagFun            = 117 // FUN_EXT (refused)
	tagAtomUTF8       = 118 // ATOM_UTF8_EXT
	tagSmallAtomUTF8  = 119 // SMALL_ATOM_UTF8_EXT
	tagV4Port         = 120 // V4_PORT_EXT
	tagLocal          = 121 // LOCAL_EXT (refused)
)

// tagNames names each tag in errors.
var tagNames = map[byte]string{
	tagNewFloat: "NEW_FLOAT_EXT", tagBitBinary: "BIT_BINARY_EXT", tagCompressed: "compressed term",
	tagAtomCacheRef: "ATOM_CACHE_REF", tagNewPid: "NEW_PID_EXT", tagNewPort: "NEW_PORT_EXT",
	tagNewerReference: "NEWER_REFERENCE_EXT", tagSmallInteger: "SMALL_INTEGER_EXT",
	tagInteger: "INTEGER_EXT", tagFloat: "FLOAT_EXT", tagAtom: "ATOM_EXT", tagReference: "REFERENCE_EXT",
	tagPort: "PORT_EXT", tagPid: "PID_EXT", tagSmallTuple: "SMALL_TUPLE_EXT",
	tagLargeTuple: "LARGE_TUPLE_EXT", tagNil: "NIL_EXT", tagString: "STRING_EXT", tagList: "LIST_EXT",
	tagBinary: "BINARY_EXT", tagSmallBig: "SMALL_BIG_EXT", tagLargeBig: "LARGE_BIG_EXT",
	tagNewFun: "NEW_FUN_EXT", tagExport: "EXPORT_EXT", tagNewReference: "NEW_REFERENCE_EXT",
	tagSmallAtom: "SMALL_ATOM_EXT", tagMap: "MAP_EXT", tagFun: "FUN_EXT", tagAtomUTF8: "ATOM_UTF8_EXT",
	tagSmallAtomUTF8: "SMALL_ATOM_UTF8_EXT", tagV4Port: "V4_PORT_EXT", tagLocal: "LOCAL_EXT",
}

// tagName returns "ATOM_UTF8_EXT (118)", or "tag 42" for an unknown tag.
func tagName(tag byte) string {
	if n, ok := tagNames[tag]; ok {
		return n + " (" + strconv.Itoa(int(tag)) + ")"
	}
	return "tag " + strconv.Itoa(int(tag))
}
