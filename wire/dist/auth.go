package dist

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"strconv"
)

// Digest returns the answer to a challenge: MD5 of the cookie followed by
// the challenge in unsigned decimal (dist_util:gen_digest). The order is
// cookie first, whatever the protocol document's prose says (BEAM.md §1.1).
func Digest(cookie string, challenge uint32) [DigestLen]byte {
	return md5.Sum([]byte(cookie + strconv.FormatUint(uint64(challenge), 10)))
}

// VerifyDigest reports, in constant time, whether got answers challenge
// for cookie.
func VerifyDigest(cookie string, challenge uint32, got [DigestLen]byte) bool {
	want := Digest(cookie, challenge)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// NewChallenge returns a random challenge.
func NewChallenge() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24 and later)
	return binary.BigEndian.Uint32(b[:])
}

// SimultaneousStatus is the acceptor's answer when it is itself dialling the
// initiator: the greater name wins, as in OTP's dist_util. If the remote
// (initiator's) name is greater, its attempt goes on (StatusOKSimultaneous)
// and the acceptor drops its own; otherwise StatusNok refuses it.
func SimultaneousStatus(local, remote string) Status {
	if remote > local {
		return StatusOKSimultaneous
	}
	return StatusNok
}
