package jsonkind

import (
	"reflect"
	"testing"
)

func TestOf(t *testing.T) {
	var p *int
	tests := []struct {
		v    any
		want string
	}{
		{"", "a string"}, {true, "a boolean"}, {int64(1), "an integer"}, {1.5, "a number"},
		{[]int{}, "an array"}, {map[string]int{}, "an object"}, {struct{}{}, "an object"}, {p, "an integer"},
	}
	for _, tt := range tests {
		if got := Of(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("Of(%T) = %q, want %q", tt.v, got, tt.want)
		}
	}
	if Of(nil) != "another type" {
		t.Error("nil type")
	}
}
