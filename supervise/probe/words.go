package probe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitWords splits a --health-cmd string into the words of a command the
// way a POSIX shell splits a simple command, so that the probe can be started
// directly with no shell in the image (FROM scratch).
//
// Words are separated by white space (as [strings.Fields] defines it).
// Single quotes keep everything up to the next single quote. Inside double
// quotes a backslash escapes only $, `, ", \ and a newline (which it removes);
// any other backslash is kept. Outside quotes a backslash keeps the next
// character and removes a newline. Quotes may join parts of one word
// ("a"'b'c is abc), and an empty pair of quotes is an empty word.
//
// Nothing is expanded: $VAR, `cmd`, ~ and * are kept as they are, and
// operators such as ;, |, && and > are ordinary characters. Invalid UTF-8 is
// kept byte for byte.
//
// The config code calls SplitWords on the flag value; an unterminated quote,
// a trailing backslash, a NUL byte (which exec cannot pass), no words at all,
// or an empty first word is an error, which the caller reports as a usage
// error.
func SplitWords(s string) ([]string, error) {
	var (
		words   []string
		word    []byte
		inWord  bool // a word has started, even if it is still empty ('')
		quote   byte // 0, '\'' or '"'
		quoteAt int  // index of the opening quote, for the error
	)
	if i := strings.IndexByte(s, 0); i >= 0 {
		return nil, fmt.Errorf("split words %q: NUL byte at offset %d", s, i)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch quote {
		case '\'':
			if c == '\'' {
				quote = 0
			} else {
				word = append(word, c)
			}
			i++
			continue
		case '"':
			switch {
			case c == '"':
				quote = 0
				i++
			case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
				if s[i+1] != '\n' {
					word = append(word, s[i+1])
				}
				i += 2
			default:
				word = append(word, c)
				i++
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote, quoteAt = c, i
			inWord = true
			i++
			continue
		case '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("split words %q: trailing backslash", s)
			}
			if s[i+1] == '\n' {
				// A line continuation joins, as in sh; it does not separate.
				i += 2
				continue
			}
			// Keep the whole next character, not just its first byte.
			_, size := utf8.DecodeRuneInString(s[i+1:])
			word = append(word, s[i+1:i+1+size]...)
			inWord = true
			i += 1 + size
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 && r == utf8.RuneError {
			// Invalid UTF-8 is not a space (strings.Fields agrees): keep it.
			r = 0
		}
		if unicode.IsSpace(r) {
			if inWord {
				words = append(words, string(word))
				word, inWord = word[:0], false
			}
		} else {
			word = append(word, s[i:i+size]...)
			inWord = true
		}
		i += size
	}
	switch {
	case quote == '\'':
		return nil, fmt.Errorf("split words %q: unterminated single quote at offset %d", s, quoteAt)
	case quote == '"':
		return nil, fmt.Errorf("split words %q: unterminated double quote at offset %d", s, quoteAt)
	}
	if inWord {
		words = append(words, string(word))
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("split words %q: no command", s)
	}
	if words[0] == "" {
		return nil, fmt.Errorf("split words %q: empty command name", s)
	}
	return words, nil
}
