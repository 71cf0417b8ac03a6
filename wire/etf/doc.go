// Package etf encodes and decodes Erlang's External Term Format, the byte
// form of the terms that BEAM nodes exchange over distribution (OTP's
// erl_ext_dist, the subset of BEAM.md §9.1).
//
// # Term model
//
// A Term is one of these Go values; the decoder produces exactly these, and
// the encoder accepts them (plus int, for literals):
//
//	Atom                  'ok', 'Elixir.Chat'         SMALL_ATOM_UTF8_EXT 119, ATOM_UTF8_EXT 118
//	int64                 42, -1                      SMALL_INTEGER_EXT 97, INTEGER_EXT 98, SMALL_BIG_EXT 110
//	*big.Int              beyond int64                SMALL_BIG_EXT 110, LARGE_BIG_EXT 111
//	float64               1.5                         NEW_FLOAT_EXT 70
//	Binary                <<"hi">>, an Elixir string  BINARY_EXT 109
//	BitBinary             <<1, 2:4>>                  BIT_BINARY_EXT 77
//	Charlist              "hi" sent as STRING_EXT     STRING_EXT 107
//	Tuple                 {ok, 1}                     SMALL_TUPLE_EXT 104, LARGE_TUPLE_EXT 105
//	Nil                   []                          NIL_EXT 106
//	List                  [1, 2]                      LIST_EXT 108 with a NIL_EXT tail
//	ImproperList          [alias | Ref]               LIST_EXT 108 with another tail
//	Map                   #{a => 1}, ordered pairs    MAP_EXT 116
//	Pid                   <0.42.0>                    NEW_PID_EXT 88
//	Ref                   #Ref<...>                   NEWER_REFERENCE_EXT 90
//	Port                  #Port<...>                  NEW_PORT_EXT 89, V4_PORT_EXT 120
//	Fun                   fun() -> ... end            NEW_FUN_EXT 112, kept opaque
//	Export                fun erlang:apply/2          EXPORT_EXT 113
//
// Pid, Ref and Port are comparable values: they can be Go map keys and
// compare with ==. Map keeps the order the pairs arrived in, so keys may be
// tuples or any other term. Equal compares terms the way Erlang's =:= does.
//
// The decoder also reads the latin-1 atom tags 100 and 115; the encoder
// never writes them. It refuses ATOM_CACHE_REF (82): a 112 pass-through
// frame never uses the atom cache. Compressed terms (80) and the pre-OTP-23
// pid, port and reference tags are refused too; OTP 25 never sends them to a
// peer that sets BIG_CREATION, a mandatory flag.
//
// # Bounds
//
// Decoding untrusted bytes is bounded (see Decoder): total size, nesting
// depth, atom length (255 characters), big integer size; every count is
// checked against the bytes left before anything is allocated, and slices
// grow with the elements actually read. An error is a *DecodeError that
// names what was wrong and at which offset. The decoder never panics.
//
// # Printing
//
// Inspect prints a term as Elixir's iex does (:ok, "HI", {:error, :enoent},
// %{a: 1}), with readable forms for remote pids and references.
package etf
