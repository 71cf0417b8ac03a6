package wire

import "fmt"

// enumName returns v's name in names, or v's number formatted by unknown
// (such as "frame type %d") when names has none: a value from a newer peer
// or from garbage is reported with its value.
func enumName[T ~uint8](names map[T]string, v T, unknown string) string {
	if name, ok := names[v]; ok {
		return name
	}
	return fmt.Sprintf(unknown, uint8(v))
}
