package etf_test

import (
	"math"
	"math/big"
	"testing"

	"chatd/wire/etf"
)

type a = etf.Atom

func kw(k string, v etf.Term) etf.Tuple { return etf.Tuple{a(k), v} }

// TestInspect compares with what Elixir 1.14.0 printed for the same values
// (IO.puts(inspect(v)) in a real elixir), except pids, refs and funs.
func TestInspect(t *testing.T) {
	ref := mustRef(3760, 3251896322, 1336528240)
	tests := []struct {
		term etf.Term
		want string
	}{
		{etf.OK, ":ok"},
		{etf.NilAtom, "nil"},
		{etf.True, "true"},
		{etf.False, "false"},
		{a("with space"), `:"with space"`},
		{a("Elixir.String"), "String"},
		{a("Elixir.Chat.TaskSupervisor"), "Chat.TaskSupervisor"},
		{a("Elixir.foo"), `:"Elixir.foo"`},
		{a("Elixir.Foo..Bar"), `:"Elixir.Foo..Bar"`},
		{a("Elixir.É"), `:"Elixir.É"`},
		{a("Elixir"), "Elixir"},
		{a("Elixir.Elixir.Foo"), "Elixir.Elixir.Foo"},
		{a("Elixir.Foo_1"), "Foo_1"},
		{a("kate@localhost"), ":kate@localhost"},
		{a("sup?"), ":sup?"},
		{a("foo!"), ":foo!"},
		{a("foo?bar"), `:"foo?bar"`},
		{a("a??"), `:"a??"`},
		{a(""), `:""`},
		{a("_"), ":_"},
		{a("Foo"), ":Foo"},
		{a("é"), ":é"},
		{a("日本"), ":日本"},
		{a("1a"), `:"1a"`},
		{a("a-b"), `:"a-b"`},
		{a("a.b"), `:"a.b"`},
		{a("+"), ":+"},
		{a("=="), ":=="},
		{a("::"), `:"::"`},
		{a("//"), `:"//"`},
		{a("=>"), `:"=>"`},
		{a("[]"), `:"[]"`},
		{a("%{}"), ":%{}"},
		{a("..//"), ":..//"},
		{a(`\\`), `:\\`},
		{a(`\`), `:"\\"`},
		{a("not in"), `:"not in"`},
		{a("\n"), `:"\n"`},
		{a(`"`), `:"\""`},
		{a("\x01"), `:"\x01"`},
		{a("\x7f"), `:"\d"`},
		{a("\u0080"), `:"\x80"`},
		{a("\ufffe"), `:"\x{FFFE}"`},
		{a("a\x00"), `:"a\0"`},
		{a("a#{b"), `:"a\#{b"`},
		{etf.Binary("HI"), `"HI"`},
		{etf.Binary(""), `""`},
		{etf.Binary(`a"b\c`), `"a\"b\\c"`},
		{etf.Binary("#{x}"), `"\#{x}"`},
		{etf.Binary("tab\t nl\n cr\r esc\x1b"), `"tab\t nl\n cr\r esc\e"`},
		{etf.Binary{0}, "<<0>>"},
		{etf.Binary{1, 2, 3}, "<<1, 2, 3>>"},
		{etf.Binary("héllo"), `"héllo"`},
		{etf.Binary{255}, "<<255>>"},
		{etf.Binary{0x7f}, `"\d"`},
		{etf.Binary("\a\b\v\f"), `"\a\b\v\f"`},
		{etf.Binary{194, 128}, "<<194, 128>>"},
		{etf.Binary("a#b"), `"a#b"`},
		{etf.Binary("a\x00"), "<<97, 0>>"},
		{etf.BitBinary{Bytes: []byte{0x20}, Bits: 3}, "<<1::size(3)>>"},
		{etf.BitBinary{Bytes: []byte{1, 0x20}, Bits: 4}, "<<1, 2::size(4)>>"},
		{etf.Charlist("hi"), "'hi'"},
		{etf.List{int64(104), int64(105)}, "'hi'"},
		{etf.Charlist{233}, "[233]"},
		{etf.Charlist("\n"), `'\n'`},
		{etf.List{int64(1), int64(2)}, "[1, 2]"},
		{etf.Nil{}, "[]"},
		{etf.List{}, "[]"},
		{etf.Charlist("a'b"), `'a\'b'`},
		{etf.Charlist(`a"b`), `'a"b'`},
		{etf.Charlist{127}, "[127]"},
		{etf.Charlist{7}, `'\a'`},
		{etf.Charlist{0}, "[0]"},
		{etf.Charlist("#{"), `'\#{'`},
		{etf.ImproperList{Elems: []etf.Term{int64(104)}, Tail: int64(105)}, "[104 | 105]"},
		{etf.List{kw("a", int64(1)), kw("b", int64(2))}, "[a: 1, b: 2]"},
		{etf.List{kw("with space", int64(1))}, `["with space": 1]`},
		{etf.List{kw("Elixir.String", int64(1))}, "[{String, 1}]"},
		{etf.List{kw("a", int64(1)), int64(2)}, "[{:a, 1}, 2]"},
		{etf.List{etf.Tuple{etf.OK, int64(1), int64(2)}}, "[{:ok, 1, 2}]"},
		{etf.List{kw("nil", int64(1))}, "[nil: 1]"},
		{etf.List{kw("Elixir", int64(1))}, `["Elixir": 1]`},
		{etf.List{kw("::", int64(1))}, `["::": 1]`},
		{etf.List{kw("+", int64(1))}, "[+: 1]"},
		{etf.List{etf.Tuple{int64(1), int64(2)}}, "[{1, 2}]"},
		{etf.ImproperList{Elems: []etf.Term{kw("a", int64(1)), kw("b", int64(2))}, Tail: a("c")}, "[{:a, 1}, {:b, 2} | :c]"},
		{etf.ImproperList{Elems: []etf.Term{int64(1), int64(2)}, Tail: a("a")}, "[1, 2 | :a]"},
		{etf.Tuple{}, "{}"},
		{etf.Tuple{a("error"), a("enoent")}, "{:error, :enoent}"},
		{etf.Tuple{int64(1)}, "{1}"},
		{etf.Tuple{a("a"), etf.Binary("b"), etf.List{kw("c", int64(1))}}, `{:a, "b", [c: 1]}`},
		{etf.Map{}, "%{}"},
		{etf.Map{{Key: a("a"), Value: int64(1)}}, "%{a: 1}"},
		{etf.Map{{Key: etf.Binary("k"), Value: int64(1)}}, `%{"k" => 1}`},
		{etf.Map{{Key: int64(1), Value: int64(2)}, {Key: a("a"), Value: int64(1)}}, "%{1 => 2, :a => 1}"},
		{etf.Map{{Key: etf.Tuple{a("a"), int64(1)}, Value: int64(2)}}, "%{{:a, 1} => 2}"},
		{etf.Map{{Key: a("with space"), Value: int64(1)}}, `%{"with space": 1}`},
		{etf.Map{{Key: a("Elixir.String"), Value: int64(1)}}, "%{String => 1}"},
		{etf.Map{{Key: a("nil"), Value: int64(1)}}, "%{nil: 1}"},
		{etf.Map{{Key: a("__struct__"), Value: a("Elixir.Foo")}, {Key: a("a"), Value: int64(1)}}, "%{__struct__: Foo, a: 1}"},
		{etf.Map{{Key: a("a"), Value: etf.Map{{Key: a("b"), Value: etf.List{int64(1), etf.Binary("x")}}}}}, `%{a: %{b: [1, "x"]}}`},
		{etf.List{etf.Binary("hi"), etf.Binary{200}}, `["hi", <<200>>]`},
		{etf.Export{Module: "Elixir.String", Function: "upcase", Arity: 1}, "&String.upcase/1"},
		{etf.Export{Module: "erlang", Function: "apply", Arity: 2}, "&:erlang.apply/2"},
		{etf.Export{Module: "Elixir.String", Function: "Foo", Arity: 1}, `&String."Foo"/1`},
		{etf.Export{Module: "Elixir.String", Function: "kate@localhost", Arity: 1}, `&String."kate@localhost"/1`},
		{etf.Export{Module: "Elixir.String", Function: "::", Arity: 1}, "&String.::/1"},
		{etf.Export{Module: "Elixir.String", Function: "//", Arity: 1}, `&String."//"/1`},
		{etf.Export{Module: "Elixir.String", Function: "..", Arity: 1}, `&String.".."/1`},
		{etf.Export{Module: "Elixir.String", Function: "nil", Arity: 1}, "&String.nil/1"},
		{etf.Export{Module: "Elixir.String", Function: "é1", Arity: 1}, "&String.é1/1"},
		{etf.Export{Module: "Elixir.String", Function: "a?!", Arity: 1}, `&String."a?!"/1`},
		{int64(-576460752303423488), "-576460752303423488"},
		{new(big.Int).Mul(big.NewInt(1234567890123456789), big.NewInt(100000000000)), "123456789012345678900000000000"},
		{int64(-1), "-1"},
		{7, "7"},
		{etf.ImproperList{Elems: []etf.Term{a("alias")}, Tail: ref}, "[:alias | #Reference<kate@localhost.1336528240.3251896322.3760>]"},
		{etf.Pid{Node: kate, ID: 165, Serial: 0, Creation: 7}, "#PID<kate@localhost.165.0>"},
		{etf.Port{Node: kate, ID: 5}, "#Port<kate@localhost.5>"},
		{etf.Fun{Module: "Elixir.Chat", Index: 0, OldUniq: 12, Arity: 1}, "#Function<0.12/1 in Chat>"},
		{struct{}{}, "#Go<struct {} {}>"},
	}
	for _, tc := range tests {
		if got := etf.Inspect(tc.term); got != tc.want {
			t.Errorf("Inspect(%#v) = %s, want %s", tc.term, got, tc.want)
		}
	}
}

// TestInspectFloat compares with Elixir 1.14.0's inspect of each float.
func TestInspectFloat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{1.0, "1.0"}, {0.1, "0.1"}, {1.0e20, "1.0e20"}, {1.0e16, "1.0e16"}, {1.0e15, "1000000000000000.0"},
		{123456789.0, "123456789.0"}, {1.0e-5, "1.0e-5"}, {0.001, "0.001"}, {0.0001, "0.0001"},
		{math.Copysign(0, -1), "-0.0"}, {0, "0.0"}, {1.5e300, "1.5e300"}, {2.0e-308, "2.0e-308"},
		{5.0e-324, "5.0e-324"}, {1.0e21, "1.0e21"}, {123456789012345680.0, "1.2345678901234568e17"},
		{12345678901234567.0, "1.2345678901234568e16"}, {3.14, "3.14"}, {100.0, "100.0"},
		{1.0e10, "10000000000.0"}, {9007199254740993.0, "9007199254740992.0"}, {1.5e15, "1500000000000000.0"},
		{9.999999999999998e15, "9999999999999998.0"}, {1.2e16, "1.2e16"}, {0.00012345, "1.2345e-4"},
		{1.2345e-5, "1.2345e-5"}, {9.9e-5, "9.9e-5"}, {123.456, "123.456"}, {1.0e14, "100000000000000.0"},
		{123456789012345.6, "123456789012345.6"}, {1234567890123456.7, "1234567890123456.8"},
		{0.30000000000000004, "0.30000000000000004"}, {1.0e100, "1.0e100"}, {1.7976931348623157e308, "1.7976931348623157e308"},
		{2.2250738585072014e-308, "2.2250738585072014e-308"}, {1.0e-10, "1.0e-10"}, {12.0, "12.0"},
		{1.0e7, "10000000.0"}, {123.0e5, "12300000.0"}, {18014398509481984.0, "1.8014398509481984e16"},
		{0.000123, "1.23e-4"}, {0.0012, "0.0012"}, {0.00123, "0.00123"}, {-0.0012, "-0.0012"},
		{-1.0e20, "-1.0e20"}, {-5.5, "-5.5"}, {1.0e301, "1.0e301"}, {2.5e-7, "2.5e-7"},
	}
	for _, tc := range tests {
		if got := etf.Inspect(tc.f); got != tc.want {
			t.Errorf("Inspect(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}
