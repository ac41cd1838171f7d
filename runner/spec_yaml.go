package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Bounds on what a YAML spec may expand to. yaml.v3 guards its own decoder
// against alias bombs, but this file walks the node tree itself, so it
// keeps its own bounds: nesting depth (aliases included), the number of
// nodes visited and the size of the JSON written. A real spec is far
// below them: MaxRuns caps the product of the grid's list lengths.
const (
	maxYAMLDepth = 64
	maxYAMLNodes = 1 << 20
	maxYAMLJSON  = 16 << 20
)

// ParseSpecFile reads a spec file's content, choosing the format by the
// file's name: YAML when it ends in .yaml or .yml (in any case), JSON
// otherwise (exactly ParseSpec). YAML is converted to JSON, keeping the
// order of mapping keys, and then read by ParseSpec, so the checks and the
// errors are the same; Spec.Raw holds the converted JSON. Errors are one
// line naming the field, with the YAML line where it is known, e.g.
// "grid.lr[2]: want a number, got string (line 7)".
func ParseSpecFile(name string, b []byte) (*Spec, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".yaml" && ext != ".yml" {
		return ParseSpec(b)
	}
	return parseSpecYAML(b)
}

// parseSpecYAML converts one YAML document to JSON and reads that with
// ParseSpec.
func parseSpecYAML(b []byte) (*Spec, error) {
	root, err := yamlDocument(b)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return ParseSpec(nil) // the same error as an empty JSON spec
	}
	c := &yamlConv{active: map[*yaml.Node]bool{}}
	c.enc = json.NewEncoder(&c.buf)
	c.enc.SetEscapeHTML(false)
	if err := c.value(root, nil, 0); err != nil {
		return nil, err
	}
	s, err := ParseSpec(c.buf.Bytes())
	if err != nil {
		return nil, withYAMLLine(err, root)
	}
	return s, nil
}

// yamlDocument parses b as a YAML stream of at most one document and
// returns the document's root node, or nil when the stream holds none
// (an empty file, or only comments).
func yamlDocument(b []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlSyntaxError(err, b)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlSyntaxError(err, b)
	default:
		return nil, &FieldError{Msg: fmt.Sprintf("a second YAML document starts on line %d; a spec file holds one", next.Line)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &FieldError{Msg: "not a YAML document"}
	}
	return doc.Content[0], nil
}

// yamlSyntaxError turns a yaml.v3 parse error ("yaml: line 3: did not find
// expected key") into one line like the JSON syntax errors, with a 1-based
// line number wherever one can be had. libyaml's scanner reports 1-based
// lines; its parser reports 0-based ones (of the enclosing collection's
// start, or of the problem when that collection starts on the first line),
// and both leave out line 1 (0); its reader (bad UTF-8, control
// characters) reports none.
func yamlSyntaxError(err error, b []byte) error {
	msg := oneLine(strings.TrimPrefix(err.Error(), "yaml: "))
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, problem, ok := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); ok && err == nil {
			line, msg = n, problem
			if slices.Contains(yamlParserProblems, msg) {
				line++
			}
		}
	} else {
		switch {
		case slices.Contains(yamlReaderProblems, msg):
			line = badCharLine(b)
		case strings.HasPrefix(msg, "unknown anchor"), strings.HasPrefix(msg, "attempted to go past"),
			strings.HasPrefix(msg, "input error"), strings.Contains(msg, "UTF-16"), strings.Contains(msg, "surrogate"):
			// no position known
		default:
			line = 1 // a scanner or parser problem on the first line
		}
	}
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	return &FieldError{Msg: msg}
}

// yamlParserProblems are the problems libyaml's parser (not its scanner)
// reports.
var yamlParserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// yamlReaderProblems are the problems of libyaml's reader with UTF-8 input.
var yamlReaderProblems = []string{
	"invalid leading UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet",
	"invalid length of a UTF-8 sequence",
	"invalid Unicode character",
	"control characters are not allowed",
}

// badCharLine is the line of b's first byte that is not UTF-8 or is a
// character YAML does not allow, or 0 when there is none (or b is
// UTF-16).
func badCharLine(b []byte) int {
	if bytes.HasPrefix(b, []byte{0xfe, 0xff}) || bytes.HasPrefix(b, []byte{0xff, 0xfe}) {
		return 0
	}
	line := 1
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		ok := r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
			r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
		if r == utf8.RuneError && size <= 1 || !ok {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 0
}

// yamlConv writes a YAML node tree as compact JSON.
type yamlConv struct {
	buf    bytes.Buffer
	enc    *json.Encoder
	nodes  int
	active map[*yaml.Node]bool // anchored nodes being expanded through an alias
}

// yamlPath is the field path of a node ("grid.lr[2]"), built as the
// converter descends and rendered only for an error.
type yamlPath struct {
	up    *yamlPath
	key   string
	index int // when key is ""; keys are never empty
}

func (p *yamlPath) String() string {
	switch {
	case p == nil:
		return ""
	case p.key != "":
		return joinPath(p.up.String(), p.key)
	}
	return fmt.Sprintf("%s[%d]", p.up.String(), p.index)
}

func yamlErr(path *yamlPath, n *yaml.Node, format string, args ...any) *FieldError {
	msg := fmt.Sprintf(format, args...)
	if n.Line > 0 {
		msg += fmt.Sprintf(" (line %d)", n.Line)
	}
	return &FieldError{Field: path.String(), Msg: oneLine(msg)}
}

func (c *yamlConv) value(n *yaml.Node, path *yamlPath, depth int) error {
	if depth > maxYAMLDepth {
		return yamlErr(path, n, "nested more than %d levels deep", maxYAMLDepth)
	}
	if c.nodes++; c.nodes > maxYAMLNodes || c.buf.Len() > maxYAMLJSON {
		return yamlErr(path, n, "the spec expands to more than %d values or %d MiB of JSON (through aliases?)", maxYAMLNodes, maxYAMLJSON>>20)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return yamlErr(path, n, "unknown anchor %q", n.Value)
		}
		if c.active[n.Alias] {
			return yamlErr(path, n, "alias *%s refers to a node that contains it", n.Value)
		}
		c.active[n.Alias] = true
		err := c.value(n.Alias, path, depth+1)
		delete(c.active, n.Alias)
		return err
	case yaml.MappingNode:
		return c.mapping(n, path, depth)
	case yaml.SequenceNode:
		if tag := n.ShortTag(); tag != "!!seq" {
			return yamlErr(path, n, "tag %s is not supported on a list", tag)
		}
		c.buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.value(item, &yamlPath{up: path, index: i}, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return c.scalar(n, path)
	}
	return yamlErr(path, n, "unexpected YAML node")
}

func (c *yamlConv) mapping(n *yaml.Node, path *yamlPath, depth int) error {
	if tag := n.ShortTag(); tag != "!!map" {
		return yamlErr(path, n, "tag %s is not supported on a mapping", tag)
	}
	c.buf.WriteByte('{')
	first := map[string]int{} // key -> line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		key, err := yamlKey(k, path)
		if err != nil {
			return err
		}
		kpath := &yamlPath{up: path, key: key}
		if line, dup := first[key]; dup {
			return &FieldError{Field: kpath.String(), Msg: fmt.Sprintf("given twice (lines %d and %d)", line, k.Line)}
		}
		first[key] = k.Line
		if i > 0 {
			c.buf.WriteByte(',')
		}
		c.str(key)
		c.buf.WriteByte(':')
		if err := c.value(n.Content[i+1], kpath, depth+1); err != nil {
			return err
		}
	}
	c.buf.WriteByte('}')
	return nil
}

// yamlKey returns a mapping key's text: keys are scalars (or aliases of
// scalars), never null, merge keys or anything with a control character.
func yamlKey(k *yaml.Node, path *yamlPath) (string, error) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", yamlErr(path, k, "a key must be a plain value, got %s", yamlKindWord(k))
	}
	switch tag := k.ShortTag(); tag {
	case "!!str":
	case "!!int", "!!float", "!!bool", "!!timestamp":
		var v any
		if err := k.Decode(&v); err != nil {
			return "", yamlErr(path, k, "key %s: cannot read it as %s", quoteShort(k.Value), tag)
		}
	case "!!null":
		return "", yamlErr(path, k, "a key must not be null or empty")
	case "!!merge":
		return "", yamlErr(path, k, "merge keys (<<) are not supported; write the fields out")
	default:
		return "", yamlErr(path, k, "key %s: tag %s is not supported", quoteShort(k.Value), tag)
	}
	if strings.IndexFunc(k.Value, unicode.IsControl) >= 0 {
		return "", yamlErr(path, k, "key %s holds a control character", quoteShort(k.Value))
	}
	return k.Value, nil
}

// scalar writes a scalar by its resolved tag: numbers, booleans, null and
// strings (timestamps stay the text written). Numbers keep the text
// written when it is a JSON number of the same sort (integer or not), so
// labels read as in the file.
func (c *yamlConv) scalar(n *yaml.Node, path *yamlPath) error {
	tag := n.ShortTag()
	switch tag {
	case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp":
	default:
		return yamlErr(path, n, "tag %s is not supported (a spec holds numbers, strings, booleans, lists and mappings)", tag)
	}
	var v any
	if tag != "!!str" {
		if err := n.Decode(&v); err != nil {
			return yamlErr(path, n, "cannot read %s as %s", quoteShort(n.Value), tag)
		}
	}
	switch tag {
	case "!!str", "!!timestamp":
		c.str(n.Value)
	case "!!null":
		c.buf.WriteString("null")
	case "!!bool":
		b, ok := v.(bool)
		if !ok {
			return yamlErr(path, n, "cannot read %s as %s", quoteShort(n.Value), tag)
		}
		c.buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		if jsonNumber(n.Value) && !strings.ContainsAny(n.Value, ".eE") {
			c.buf.WriteString(n.Value)
			break
		}
		switch i := v.(type) {
		case int:
			c.buf.WriteString(strconv.FormatInt(int64(i), 10))
		case int64:
			c.buf.WriteString(strconv.FormatInt(i, 10))
		case uint64:
			c.buf.WriteString(strconv.FormatUint(i, 10))
		default:
			return yamlErr(path, n, "cannot read %s as %s", quoteShort(n.Value), tag)
		}
	case "!!float":
		f, ok := v.(float64)
		if !ok {
			return yamlErr(path, n, "cannot read %s as %s", quoteShort(n.Value), tag)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return yamlErr(path, n, "%s is not a finite number; a spec cannot hold it", quoteShort(n.Value))
		}
		if jsonNumber(n.Value) && strings.ContainsAny(n.Value, ".eE") {
			c.buf.WriteString(n.Value)
			break
		}
		s := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0" // still a float: 5. must not pass as an integer
		}
		c.buf.WriteString(s)
	}
	return nil
}

// str writes s as a JSON string, without HTML escaping.
func (c *yamlConv) str(s string) {
	c.enc.Encode(s) // cannot fail for a string
	c.buf.Truncate(c.buf.Len() - 1)
}

// jsonNumber reports whether s is a number in JSON's syntax.
func jsonNumber(s string) bool {
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	if last := s[len(s)-1]; last < '0' || last > '9' {
		return false
	}
	return json.Valid([]byte(s))
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func yamlKindWord(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// quoteShort quotes a YAML value for an error message, cut to 40
// characters.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "..."
	}
	return strconv.Quote(s)
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// withYAMLLine appends the YAML line of the field a ParseSpec error
// names, when the tree has it.
func withYAMLLine(err error, root *yaml.Node) error {
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field == "" {
		return err
	}
	if line := yamlLineOf(root, "", fe.Field, 0); line > 0 {
		return &FieldError{Field: fe.Field, Msg: fmt.Sprintf("%s (line %d)", fe.Msg, line)}
	}
	return err
}

// yamlLineOf finds the line of the node at path target (a mapping entry's
// key, a list's item) by walking the tree the way the converter does.
func yamlLineOf(n *yaml.Node, path, target string, depth int) int {
	if depth > maxYAMLDepth {
		return 0
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return yamlLineOf(n.Alias, path, target, depth+1)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			p := joinPath(path, k.Value)
			if p == target {
				return n.Content[i].Line
			}
			if strings.HasPrefix(target, p) {
				if line := yamlLineOf(n.Content[i+1], p, target, depth+1); line > 0 {
					return line
				}
			}
		}
	case yaml.SequenceNode:
		rest, ok := strings.CutPrefix(target, path+"[")
		if !ok {
			return 0
		}
		num, _, ok := strings.Cut(rest, "]")
		i, err := strconv.Atoi(num)
		if !ok || err != nil || i < 0 || i >= len(n.Content) {
			return 0
		}
		p := fmt.Sprintf("%s[%d]", path, i)
		if p == target {
			return n.Content[i].Line
		}
		return yamlLineOf(n.Content[i], p, target, depth+1)
	}
	return 0
}
