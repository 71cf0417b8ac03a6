package config

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"chatd/paths"
)

// SystemConfigFile is the config file Load falls back to when neither
// --config, $CHATD_CONFIG, systemd's $CONFIGURATION_DIRECTORY nor the
// user's own file (paths.UserConfigFile) names one.
const SystemConfigFile = "/etc/chatd/chatd.toml"

// maxFileSize bounds the config file Load reads.
const maxFileSize = 1 << 20

// Overrides are command-line flag values; empty / zero fields are unset.
type Overrides struct {
	// Name is --name: the node's name part, or name@host (then the host
	// part overrides host too).
	Name string
	// Env is --env: dev, test or prod.
	Env string
	// CookieFile is --cookie-file.
	CookieFile string
	// ListenAddress is --listen: host:port for incoming links.
	ListenAddress string
	// MapperPort is --mapper-port.
	MapperPort int
	// LogLevel is --log-level: debug, info, warn or error.
	LogLevel string
}

// Load builds the effective Config and validates it.
//
// path is the --config value; "" means $CHATD_CONFIG if set, else
// $CONFIGURATION_DIRECTORY/chatd.toml (systemd's ConfigurationDirectory=)
// if that exists, else for a user who is not root
// $XDG_CONFIG_HOME/chatd/chatd.toml (~/.config/chatd/chatd.toml) if that
// exists, else SystemConfigFile if it exists, else no file
// (defaults only). A file named explicitly (path or $CHATD_CONFIG) must
// exist.
//
// Precedence, highest first: ov > CHATD_* environment variables (read
// through getenv) > [nodes.<name>] > [environments.<env>] > the file's top
// level > Default(). The built-in settings of the environment sit between
// the file's top level and its [environments.<env>] section (see
// applyEnvironmentDefaults). Every section of the file is checked, also those this
// node does not select. Errors name the file, the line and the key, or the
// flag or environment variable a bad value came from. When only Validate
// fails, the Config is returned along with the error, for `chatd check`.
func Load(path string, ov Overrides, getenv paths.Getenv) (Config, error) {
	return load(path, ov, getenv, fallbacks{paths.UserConfigFile(getenv, os.Getuid()), SystemConfigFile})
}

// fallbacks are the files Load tries, in order, when neither --config,
// $CHATD_CONFIG nor $CONFIGURATION_DIRECTORY names one; "" entries are
// skipped.
type fallbacks []string

// load is Load with the user's and the system-wide fallback files as a
// parameter, so tests do not depend on the machine they run on.
func load(path string, ov Overrides, getenv paths.Getenv, fallback fallbacks) (Config, error) {
	file, err := findFile(path, getenv, fallback)
	if err != nil {
		return Config{}, err
	}
	cfg := Default()
	org := origins{}
	fullName, nameOrigin := selectedName(ov, getenv)

	var l *fileLoader
	if file != "" {
		if l, err = readFile(file); err != nil {
			return Config{}, err
		}
		if err := l.decodeTop(&cfg, org); err != nil {
			return Config{}, err
		}
	}
	env := cfg.Environment
	if v := getenv("CHATD_ENV"); v != "" {
		env = v
	}
	if ov.Env != "" {
		env = ov.Env
	}
	applyEnvironmentDefaults(&cfg, env, org)
	if l != nil {
		if err := l.decodeSection(&cfg, org, sectionEnvironments, env); err != nil {
			return Config{}, err
		}
		if err := l.decodeSection(&cfg, org, sectionNodes, nameOnly(fullName)); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, getenv, org); err != nil {
		return Config{}, err
	}
	applyOverrides(&cfg, ov, org)
	applyName(&cfg, fullName, nameOrigin, org)
	if cfg.Version == 0 {
		cfg.Version = SchemaVersion
	}
	cfg.File = file

	var errs []error
	for _, fe := range cfg.validate() {
		if o := org[fe.key]; o != "" {
			fe.origin = o
		}
		errs = append(errs, fe)
	}
	return cfg, errors.Join(errs...)
}

// findFile picks the config file as Load describes; "" means none.
func findFile(path string, getenv paths.Getenv, fallback fallbacks) (string, error) {
	explicit, source := path, "--config"
	if explicit == "" {
		explicit, source = getenv("CHATD_CONFIG"), "$CHATD_CONFIG"
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			if pe, ok := errors.AsType[*fs.PathError](err); ok {
				err = pe.Err // the path is already in the message
			}
			return "", fmt.Errorf("config file %s (from %s): %w", explicit, source, err)
		}
		return explicit, nil
	}
	var candidates []string
	if dirs := getenv("CONFIGURATION_DIRECTORY"); dirs != "" {
		for d := range strings.SplitSeq(dirs, ":") {
			candidates = append(candidates, filepath.Join(d, "chatd.toml"))
		}
	}
	candidates = append(candidates, fallback...)
	for _, c := range candidates {
		if c == "" {
			continue
		}
		_, err := os.Stat(c)
		switch {
		case err == nil:
			return c, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("config file: %w", err)
		}
	}
	return "", nil
}

// origins maps a setting's dotted key (link.tick) to where its effective
// value came from: "file:line", "$CHATD_TICK" or "--listen".
type origins map[string]string

// document is the file's shape: the settings, plus the sections that are
// decoded only when selected.
type document struct {
	Config
	Environments map[string]toml.Primitive `toml:"environments"`
	Nodes        map[string]toml.Primitive `toml:"nodes"`
}

// fileLoader decodes one config file.
type fileLoader struct {
	file   string
	text   string
	md     toml.MetaData
	doc    document
	schema []field
}

func readFile(file string) (*fileLoader, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", file, err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("config file %s: larger than %d bytes", file, maxFileSize)
	}
	return &fileLoader{file: file, text: string(b), schema: schemaOf(reflect.TypeFor[Config]())}, nil
}

// decodeTop decodes the top level onto cfg and checks every key and every
// section of the file, selected or not.
//
// The text is parsed twice. Parsed into plain values first, which fails
// only on syntax, it is checked before anything is decoded: its version,
// then the type of every value and then every key, each in file order.
// Only then is it decoded into the schema, which can fail only on a value
// its type rejects (a bad duration).
func (l *fileLoader) decodeTop(cfg *Config, org origins) error {
	var raw map[string]any
	md, err := toml.Decode(l.text, &raw)
	if err != nil {
		return l.syntaxErr(err)
	}
	l.md = md
	if v, ok := raw["version"].(int64); ok && (v > SchemaVersion || v < 0) {
		return l.errAt([]string{"version"}, nil, "version: %s", versionMsg(int(v)))
	}
	if err := l.checkTypes(); err != nil {
		return err
	}
	for _, key := range md.Keys() {
		if ke := checkKey(l.schema, key); ke != nil {
			return l.errAt(ke.key, nil, "%s", ke.msg)
		}
	}
	l.doc = document{Config: *cfg}
	if l.md, err = toml.Decode(l.text, &l.doc); err != nil {
		return l.valueErr(err)
	}
	for _, key := range l.sectionKeys() {
		var scratch Config
		if err := l.md.PrimitiveDecode(l.sections(key[0])[key[1]], &scratch); err != nil {
			return l.valueErr(err)
		}
	}
	if un := l.md.Undecoded(); len(un) > 0 {
		return l.errAt(un[0], nil, "unknown key %q", un[0].String())
	}
	*cfg = l.doc.Config
	l.record(org, nil)
	return nil
}

// decodeSection decodes [root.name] onto cfg when the file has it.
func (l *fileLoader) decodeSection(cfg *Config, org origins, root, name string) error {
	p, ok := l.sections(root)[name]
	if !ok || name == "" {
		return nil
	}
	if err := l.md.PrimitiveDecode(p, cfg); err != nil {
		return l.valueErr(err)
	}
	l.record(org, []string{root, name})
	return nil
}

// sectionKeys lists every [environments.X] and [nodes.X] section in the
// order they appear in the file, so the first bad one is reported.
func (l *fileLoader) sectionKeys() [][]string {
	var keys [][]string
	for _, root := range []string{sectionEnvironments, sectionNodes} {
		for name := range l.sections(root) {
			keys = append(keys, []string{root, name})
		}
	}
	slices.SortFunc(keys, func(a, b []string) int {
		return cmp.Or(cmp.Compare(locateKey(l.text, a), locateKey(l.text, b)), slices.Compare(a, b))
	})
	return keys
}

func (l *fileLoader) sections(root string) map[string]toml.Primitive {
	if root == sectionEnvironments {
		return l.doc.Environments
	}
	return l.doc.Nodes
}

// record notes the file line of every setting under prefix (the top level
// when prefix is nil).
func (l *fileLoader) record(org origins, prefix []string) {
	for _, key := range l.md.Keys() {
		if !hasPrefix(key, prefix) || len(key) == len(prefix) {
			continue
		}
		if prefix == nil && (key[0] == sectionEnvironments || key[0] == sectionNodes) {
			continue
		}
		rel := key[len(prefix):]
		if isValueKey(l.schema, rel) {
			org[strings.Join(rel, ".")] = l.where(key)
		}
	}
}

// isValueKey reports whether key names a value (not a table) of schema.
func isValueKey(schema []field, key []string) bool {
	fields := schema
	for i, piece := range key {
		f, ok := findField(fields, piece)
		if !ok {
			return false
		}
		if f.table == nil {
			return i == len(key)-1
		}
		fields = f.table
	}
	return false
}

// where returns "file:line" for key, or just the file name when the line
// is unknown.
func (l *fileLoader) where(key []string) string {
	if n := locateKey(l.text, key); n > 0 {
		return l.file + ":" + strconv.Itoa(n)
	}
	return l.file
}
