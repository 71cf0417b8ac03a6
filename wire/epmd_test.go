package wire_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"chatd/wire"
)

// epmdHex builds golden bytes from byte values and strings.
func epmdHex(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			b = append(b, byte(v))
		case string:
			b = append(b, v...)
		default:
			panic("epmdHex: unsupported part")
		}
	}
	return b
}

// epmdCodec is the encoder and decoder of one EPMD message.
type epmdCodec[T any] struct {
	name   string // for failure messages
	append func([]byte, T) ([]byte, error)
	decode func([]byte) (T, error)
}

// The EPMD codecs.
var (
	epmdRequestCodec = epmdCodec[wire.EPMDRequest]{"EPMDRequest", wire.AppendEPMDRequest, wire.DecodeEPMDRequest}
	alive2ReplyCodec = epmdCodec[wire.Alive2XResp]{"Alive2Reply",
		func(b []byte, m wire.Alive2XResp) ([]byte, error) { return m.Append(b), nil }, wire.DecodeAlive2Reply}
	port2RespCodec = epmdCodec[wire.Port2Resp]{"Port2Resp", func(b []byte, m wire.Port2Resp) ([]byte, error) { return m.Append(b) }, wire.DecodePort2Resp}
	namesRespCodec = epmdCodec[wire.NamesResp]{"NamesResp", func(b []byte, m wire.NamesResp) ([]byte, error) { return m.Append(b) }, wire.DecodeNamesResp}
)

// checkGolden checks that v encodes to golden after other bytes, and that
// golden decodes to v.
func (c epmdCodec[T]) checkGolden(t *testing.T, v T, golden []byte) {
	t.Helper()
	got, err := c.append([]byte("prefix"), v)
	if want := append([]byte("prefix"), golden...); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("encode %s: %v\n got %q\nwant %q", c.name, err, got, want)
	}
	dec, err := c.decode(golden)
	if err != nil || !reflect.DeepEqual(dec, v) {
		t.Fatalf("Decode%s = %#v, %v; want %#v", c.name, dec, err, v)
	}
}

// checkRefused checks that b does not decode, with an error wrapping want.
func (c epmdCodec[T]) checkRefused(t *testing.T, b []byte, want error) {
	t.Helper()
	if v, err := c.decode(b); !errors.Is(err, want) {
		t.Fatalf("Decode%s(%q) = %#v, %v; want %v", c.name, b, v, err, want)
	}
}

// fuzz is the check of an EPMD fuzz target: what decodes from b must
// re-encode and decode to the same value. It returns the value and its
// encoding; the encoding is nil when b did not decode.
func (c epmdCodec[T]) fuzz(t *testing.T, b []byte) (T, []byte) {
	t.Helper()
	v, err := c.decode(b)
	if err != nil {
		return v, nil
	}
	enc, err := c.append(nil, v)
	if err != nil {
		t.Fatalf("re-encode %#v: %v", v, err)
	}
	again, err := c.decode(enc)
	if err != nil || !reflect.DeepEqual(again, v) {
		t.Fatalf("round trip: %#v, %v; want %#v", again, err, v)
	}
	return v, enc
}

// The golden bytes below were captured from a real epmd (erlang-base) where
// it sends them, and from what OTP nodes send otherwise.
var epmdRequestGolden = []struct {
	name string
	req  wire.EPMDRequest
	wire []byte
}{
	{"alive2 chatd", wire.ChatdAlive2Req("alex", 5555),
		epmdHex(0, 24, 120, 0x15, 0xb3, 77, 0, 0, 6, 0, 6, 0, 4, "alex", 0, 7, "chatd/1")},
	{"alive2 erlang hidden empty extra", wire.Alive2Req{Port: 40000, NodeType: 72, Protocol: 0,
		HighestVersion: 6, LowestVersion: 5, Name: "kate"},
		epmdHex(0, 17, 120, 0x9c, 0x40, 72, 0, 0, 6, 0, 5, 0, 4, "kate", 0, 0)},
	{"port please2", wire.PortPlease2Req{Name: "moebi"}, epmdHex(0, 6, 122, "moebi")},
	{"names", wire.NamesReq{}, epmdHex(0, 1, 110)},
	{"kill", wire.KillReq{}, epmdHex(0, 1, 107)},
	{"alive2 unicode name", wire.Alive2Req{Port: 4711, NodeType: 72, HighestVersion: 5, LowestVersion: 5, Name: "\U0001F608"},
		epmdHex(0, 17, 120, 0x12, 0x67, 72, 0, 0, 5, 0, 5, 0, 4, 0xf0, 0x9f, 0x98, 0x88, 0, 0)},
}

var epmdAlive2ReplyGolden = []struct {
	name  string
	reply wire.Alive2XResp
	wire  []byte
}{
	{"x ok", wire.Alive2XResp{Result: 0, Creation: 0x6b085f9a}, epmdHex(118, 0, 0x6b, 0x08, 0x5f, 0x9a)},
	{"x duplicate", wire.Alive2XResp{Result: 1, Creation: wire.EPMDDuplicateCreation}, epmdHex(118, 1, 0, 0, 0, 99)},
	{"old ok", wire.Alive2XResp{Result: 0, Creation: 1}, epmdHex(121, 0, 0, 1)},
	{"old refused", wire.Alive2XResp{Result: 1, Creation: wire.EPMDDuplicateCreation}, epmdHex(121, 1, 0, 99)},
}

var epmdPort2Golden = []struct {
	name  string
	reply wire.Port2Resp
	wire  []byte
}{
	{"found chatd", wire.Port2Resp{Node: wire.ChatdAlive2Req("alex", 5555).Entry()},
		epmdHex(119, 0, 0x15, 0xb3, 77, 0, 0, 6, 0, 6, 0, 4, "alex", 0, 7, "chatd/1")},
	{"found erlang", wire.Port2Resp{Node: wire.NodeEntry{Port: 1, NodeType: 77, HighestVersion: 6,
		LowestVersion: 6, Name: "x"}}, epmdHex(119, 0, 0, 1, 77, 0, 0, 6, 0, 6, 0, 1, "x", 0, 0)},
	{"not registered", wire.Port2Resp{Result: 1}, epmdHex(119, 1)},
}

var epmdNamesGolden = []struct {
	name  string
	reply wire.NamesResp
	wire  []byte
}{
	{"two", wire.NamesResp{Port: 43691, Nodes: []wire.NameEntry{{Name: "old", Port: 5555}, {Name: "alex", Port: 5555}}},
		epmdHex(0, 0, 0xaa, 0xab, "name old at port 5555\nname alex at port 5555\n")},
	{"empty", wire.NamesResp{Port: 4369}, epmdHex(0, 0, 0x11, 0x11)},
	{"odd name", wire.NamesResp{Port: 1, Nodes: []wire.NameEntry{{Name: "a at port 2", Port: 0}}},
		epmdHex(0, 0, 0, 1, "name a at port 2 at port 0\n")},
}

func TestEPMDRequestGolden(t *testing.T) {
	for _, tc := range epmdRequestGolden {
		t.Run(tc.name, func(t *testing.T) {
			epmdRequestCodec.checkGolden(t, tc.req, tc.wire)
			rd := bytes.NewReader(append(tc.wire, "next"...))
			dec, err := wire.ReadEPMDRequest(rd)
			if err != nil || !reflect.DeepEqual(dec, tc.req) || rd.Len() != 4 {
				t.Fatalf("ReadEPMDRequest = %#v, %v (left %d); want %#v", dec, err, rd.Len(), tc.req)
			}
		})
	}
}

func TestEPMDPortPlease2TrailingNUL(t *testing.T) {
	got, err := wire.DecodeEPMDRequest(epmdHex(0, 6, 122, "kate", 0))
	if want := (wire.PortPlease2Req{Name: "kate"}); err != nil || got != want {
		t.Fatalf("got %#v, %v; want %#v", got, err, want)
	}
}

func TestEPMDRequestErrors(t *testing.T) {
	long := strings.Repeat("n", 256)
	tests := []struct {
		name    string
		frame   []byte
		want    error
		message string
	}{
		{"unknown tag", epmdHex(0, 1, 77), wire.ErrEPMDMalformed, "unknown EPMD request tag 77"},
		{"empty frame", epmdHex(0, 0), wire.ErrEPMDMalformed, "empty"},
		{"longer than epmd's buffer", append(epmdHex(0x0b, 0xf2, 110), make([]byte, 3057)...), wire.ErrEPMDTooLarge, "3058 bytes, limit 3057"},
		{"short frame", epmdHex(0), wire.ErrEPMDMalformed, "length truncated"},
		{"length beyond frame", epmdHex(0, 5, 110), wire.ErrEPMDMalformed, "body truncated"},
		{"bytes after frame", epmdHex(0, 1, 110, 110), wire.ErrEPMDMalformed, "frame has 1 trailing bytes"},
		{"names trailing", epmdHex(0, 2, 110, 0), wire.ErrEPMDMalformed, "trailing"},
		{"alive2 truncated", epmdHex(0, 4, 120, 0, 1, 77), wire.ErrEPMDMalformed, "truncated"},
		{"alive2 name beyond body", epmdHex(0, 15, 120, 0, 1, 77, 0, 0, 6, 0, 6, 1, 0, "abcd"), wire.ErrEPMDMalformed, "name of 256 bytes truncated"},
		{"alive2 extra beyond body", epmdHex(0, 14, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 1, "a", 4, 1),
			wire.ErrEPMDMalformed, "extra of 1025 bytes truncated"},
		{"alive2 trailing", epmdHex(0, 15, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 1, "a", 0, 0, 9), wire.ErrEPMDMalformed, "trailing"},
		{"alive2 empty name and extra", epmdHex(0, 13, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 0, 0, 0), wire.ErrEPMDMalformed, "truncated"},
		{"alive2 NUL in name", epmdHex(0, 16, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 3, "a", 0, "b", 0, 0), wire.ErrEPMDMalformed, "NUL"},
		{"port please2 empty", epmdHex(0, 1, 122), wire.ErrEPMDMalformed, "empty"},
		{"port please2 too long", append(epmdHex(1, 1, 122), long...), wire.ErrEPMDTooLarge, "256 characters"},
		{"port please2 too many bytes", append(epmdHex(3, 254, 122), strings.Repeat("\U0001F600", 255)+"a"...), wire.ErrEPMDTooLarge, "1021 bytes"},
		{"port please2 not UTF-8", epmdHex(0, 3, 122, 0xc3, 0x28), wire.ErrEPMDMalformed, "not UTF-8"},
		{"port please2 two NULs", epmdHex(0, 4, 122, "a", 0, 0), wire.ErrEPMDMalformed, "control"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wire.DecodeEPMDRequest(tc.frame)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v; want %v containing %q", err, tc.want, tc.message)
			}
			if len(tc.frame) >= 2 && int(tc.frame[0])<<8|int(tc.frame[1]) == len(tc.frame)-2 {
				if _, rerr := wire.ReadEPMDRequest(bytes.NewReader(tc.frame)); !errors.Is(rerr, tc.want) {
					t.Fatalf("ReadEPMDRequest err = %v; want %v", rerr, tc.want)
				}
			}
		})
	}
	var refused *wire.Alive2RefusedError
	if _, err := wire.DecodeEPMDRequest(epmdHex(0, 13, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 0, 0, 0)); errors.As(err, &refused) {
		t.Fatalf("truncated ALIVE2_REQ is refused (answered) rather than malformed: %v", err)
	}
	var unknown *wire.UnknownEPMDTagError
	if _, err := wire.DecodeEPMDRequest(epmdHex(0, 1, 77)); !errors.As(err, &unknown) || unknown.Tag != 77 {
		t.Fatalf("unknown tag error = %#v", err)
	}
}

func TestReadEPMDRequestEnds(t *testing.T) {
	if _, err := wire.ReadEPMDRequest(bytes.NewReader(nil)); err != io.EOF {
		t.Fatalf("empty stream: err = %v; want io.EOF", err)
	}
	_, err := wire.ReadEPMDRequest(bytes.NewReader(epmdHex(0, 9, 122)))
	if !errors.Is(err, wire.ErrEPMDMalformed) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short body: err = %v; want malformed, unexpected EOF", err)
	}
}

func TestEPMDEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		req  wire.EPMDRequest
		want error
	}{
		{"empty name", wire.ChatdAlive2Req("", 1), wire.ErrEPMDMalformed},
		{"long name", wire.PortPlease2Req{Name: strings.Repeat("a", 256)}, wire.ErrEPMDTooLarge},
		{"NUL in name", wire.PortPlease2Req{Name: "a\x00"}, wire.ErrEPMDMalformed},
		{"long extra", wire.Alive2Req{Name: "a", Extra: make([]byte, 1021)}, wire.ErrEPMDTooLarge},
		{"256 characters", wire.ChatdAlive2Req(strings.Repeat("\u00e9", 256), 1), wire.ErrEPMDTooLarge},
		{"not UTF-8", wire.ChatdAlive2Req("a\xff", 1), wire.ErrEPMDMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := wire.AppendEPMDRequest([]byte("keep"), tc.req)
			if !errors.Is(err, tc.want) || string(b) != "keep" {
				t.Fatalf("AppendEPMDRequest = %q, %v; want %v and b unchanged", b, err, tc.want)
			}
		})
	}
	if _, err := (wire.NamesResp{Nodes: []wire.NameEntry{{Name: "a", Port: 70000}}}).Append(nil); !errors.Is(err, wire.ErrEPMDMalformed) {
		t.Fatalf("NAMES port out of range: err = %v", err)
	}
}

// alive2Frame builds an ALIVE2_REQ frame as the OTP suite's alive2_req
// does: NodeType 77, Protocol 0, the given versions, name and Extra.
func alive2Frame(version int, name string, extra []byte) []byte {
	body := epmdHex(120, 0x03, 0xe8, 77, 0, 0, version, 0, version, len(name)>>8, len(name)&0xff, name,
		len(extra)>>8, len(extra)&0xff)
	body = append(body, extra...)
	return append(epmdHex(len(body)>>8, len(body)&0xff), body...)
}

// The limits as epmd 25.2.3 applies them (epmd_srv.c, node_reg2): a name of
// up to 255 characters (so up to 1020 bytes), an Extra of up to 1020 bytes.
func TestEPMDAlive2Limits(t *testing.T) {
	emoji := func(n int) string { // n distinct 4-byte characters from U+1F600, as the suite's long_unicode_name
		var b strings.Builder
		for i := range n {
			b.WriteRune(rune(0x1f600 + i))
		}
		return b.String()
	}
	tests := []struct {
		name    string
		version int
		node    string
		extra   []byte
		want    error  // nil: the request decodes
		reply   []byte // the refusal's bytes when want is not nil
	}{
		{"255 characters", 6, strings.Repeat("a", 255), nil, nil, nil},
		{"201 four-byte characters, 804 bytes", 5, emoji(201), nil, nil, nil},
		{"255 four-byte characters, 1020 bytes", 6, emoji(255), nil, nil, nil},
		{"256 characters", 6, strings.Repeat("a", 256), nil, wire.ErrEPMDTooLarge, epmdHex(118, 1, 0, 0, 0, 99)},
		{"600 bytes, old node", 5, strings.Repeat("a", 600), nil, wire.ErrEPMDTooLarge, epmdHex(121, 1, 0, 99)},
		{"1021 bytes", 6, emoji(255) + "a", nil, wire.ErrEPMDTooLarge, epmdHex(118, 1, 0, 0, 0, 99)},
		{"extra of 1020 bytes", 5, "gurka", bytes.Repeat([]byte{255}, 1020), nil, nil},
		{"extra of 1021 bytes", 5, "gurka", bytes.Repeat([]byte{255}, 1021), wire.ErrEPMDTooLarge, epmdHex(121, 1, 0, 99)},
		{"not UTF-8", 6, "a\xc3\x28", nil, wire.ErrEPMDMalformed, epmdHex(118, 1, 0, 0, 0, 99)},
		{"newline", 6, "a\nb", nil, wire.ErrEPMDMalformed, epmdHex(118, 1, 0, 0, 0, 99)},
		{"empty name with an extra", 6, "", []byte("x"), wire.ErrEPMDMalformed, epmdHex(118, 1, 0, 0, 0, 99)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := alive2Frame(tc.version, tc.node, tc.extra)
			req, err := wire.DecodeEPMDRequest(frame)
			if tc.want == nil {
				r, ok := req.(wire.Alive2Req)
				if err != nil || !ok || r.Name != tc.node || !bytes.Equal(r.Extra, tc.extra) {
					t.Fatalf("DecodeEPMDRequest = %#v, %v; want the registration of %q", req, err, tc.node)
				}
				return
			}
			var refused *wire.Alive2RefusedError
			if !errors.Is(err, tc.want) || !errors.As(err, &refused) {
				t.Fatalf("err = %v; want an *Alive2RefusedError wrapping %v", err, tc.want)
			}
			if got := refused.Reply(); !bytes.Equal(got, tc.reply) {
				t.Fatalf("Reply() = % x; want % x", got, tc.reply)
			}
		})
	}
}

func TestAppendAlive2Reply(t *testing.T) {
	tests := []struct {
		name     string
		highest  uint16
		result   uint8
		creation uint32
		want     []byte
	}{
		{"version 6", 6, 0, 0x6b085f9a, epmdHex(118, 0, 0x6b, 0x08, 0x5f, 0x9a)},
		{"version 7", 7, 1, 99, epmdHex(118, 1, 0, 0, 0, 99)},
		{"version 5", 5, 0, 3, epmdHex(121, 0, 0, 3)},
		{"version 5 refused", 5, 1, 99, epmdHex(121, 1, 0, 99)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wire.AppendAlive2Reply([]byte("p"), tc.highest, tc.result, tc.creation); !bytes.Equal(got, append([]byte("p"), tc.want...)) {
				t.Fatalf("AppendAlive2Reply = % x; want p + % x", got, tc.want)
			}
		})
	}
}

func TestEPMDAlive2ReplyGolden(t *testing.T) {
	for _, tc := range epmdAlive2ReplyGolden {
		t.Run(tc.name, func(t *testing.T) {
			var enc []byte
			if tc.wire[0] == byte(wire.EPMDAlive2Resp) {
				enc = wire.Alive2Resp{Result: tc.reply.Result, Creation: uint16(tc.reply.Creation)}.Append(nil)
			} else {
				enc = tc.reply.Append(nil)
			}
			if !bytes.Equal(enc, tc.wire) {
				t.Fatalf("encoded %q; want %q", enc, tc.wire)
			}
			got, err := wire.DecodeAlive2Reply(tc.wire)
			if err != nil || got != tc.reply {
				t.Fatalf("DecodeAlive2Reply = %+v, %v; want %+v", got, err, tc.reply)
			}
		})
	}
	for _, bad := range [][]byte{epmdHex(118, 0, 0), epmdHex(119, 1), epmdHex(121, 0, 0, 1, 5), nil} {
		alive2ReplyCodec.checkRefused(t, bad, wire.ErrEPMDMalformed)
	}
}

func TestEPMDPort2RespGolden(t *testing.T) {
	for _, tc := range epmdPort2Golden {
		t.Run(tc.name, func(t *testing.T) { port2RespCodec.checkGolden(t, tc.reply, tc.wire) })
	}
	if !epmdPort2Golden[0].reply.Node.IsChatd() || epmdPort2Golden[1].reply.Node.IsChatd() {
		t.Error("IsChatd does not tell chatd from Erlang")
	}
	tests := []struct {
		name string
		wire []byte
		want error
	}{
		{"error form with extra byte", epmdHex(119, 1, 0), wire.ErrEPMDMalformed},
		{"wrong tag", epmdHex(118, 1), wire.ErrEPMDMalformed},
		{"truncated", epmdHex(119, 0, 0, 1), wire.ErrEPMDMalformed},
		{"name too long", epmdHex(119, 0, 0, 1, 77, 0, 0, 6, 0, 6, 3, 0xfd), wire.ErrEPMDTooLarge},
		{"extra too long", epmdHex(119, 0, 0, 1, 77, 0, 0, 6, 0, 6, 0, 1, "a", 0xff, 0xff), wire.ErrEPMDTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { port2RespCodec.checkRefused(t, tc.wire, tc.want) })
	}
}

func TestEPMDNamesGolden(t *testing.T) {
	for _, tc := range epmdNamesGolden {
		t.Run(tc.name, func(t *testing.T) {
			namesRespCodec.checkGolden(t, tc.reply, tc.wire)
			got, err := wire.ReadNamesResp(bytes.NewReader(tc.wire))
			if err != nil || !reflect.DeepEqual(got, tc.reply) {
				t.Fatalf("ReadNamesResp = %+v, %v; want %+v", got, err, tc.reply)
			}
		})
	}
	tests := []struct {
		name string
		wire []byte
		want error
	}{
		{"short", epmdHex(0, 0, 1), wire.ErrEPMDMalformed},
		{"unterminated", epmdHex(0, 0, 0, 1, "name a at port 1"), wire.ErrEPMDMalformed},
		{"bad prefix", epmdHex(0, 0, 0, 1, "node a at port 1\n"), wire.ErrEPMDMalformed},
		{"bad port", epmdHex(0, 0, 0, 1, "name a at port 70000\n"), wire.ErrEPMDMalformed},
		{"signed port", epmdHex(0, 0, 0, 1, "name a at port +1\n"), wire.ErrEPMDMalformed},
		{"empty name", epmdHex(0, 0, 0, 1, "name  at port 1\n"), wire.ErrEPMDMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { namesRespCodec.checkRefused(t, tc.wire, tc.want) })
	}
}

// endlessNames yields a NAMES reply that never ends.
type endlessNames struct{}

func (endlessNames) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestReadNamesRespBounded(t *testing.T) {
	if _, err := wire.ReadNamesResp(endlessNames{}); !errors.Is(err, wire.ErrEPMDTooLarge) {
		t.Fatalf("err = %v; want ErrEPMDTooLarge", err)
	}
}

func TestEPMDTagString(t *testing.T) {
	tests := []struct {
		tag  wire.EPMDTag
		want string
	}{
		{wire.EPMDAlive2Req, "ALIVE2_REQ"},
		{wire.EPMDPort2Resp, "PORT2_RESP"},
		{77, "EPMDTag(77)"},
	}
	for _, tc := range tests {
		if got := tc.tag.String(); got != tc.want {
			t.Errorf("EPMDTag(%d).String() = %q; want %q", uint8(tc.tag), got, tc.want)
		}
	}
}
