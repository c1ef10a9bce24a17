package gatehouse

import "testing"

func TestParseMicros(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"2.50", 2_500_000, false},
		{"0.075", 75_000, false},
		{"30", 30_000_000, false},
		{".5", 0, true},
		{"1.", 0, true},
		{" 1", 0, true},
		{"0.000001", 1, false},
		{"0", 0, false},
		{"0.0000001", 0, true},
		{"-1", 0, true},
		{"1e3", 0, true},
		{"", 0, true},
		{"1.2.3", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMicros(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMicros(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatMicros(t *testing.T) {
	for in, want := range map[int64]string{2_500_000: "2.50", 75_000: "0.075", 30_000_000: "30.00", 1: "0.000001", 0: "0.00", -1_500_000: "-1.50"} {
		if got := FormatMicros(in); got != want {
			t.Errorf("FormatMicros(%d) = %q, want %q", in, got, want)
		}
		if in >= 0 {
			if back, err := ParseMicros(FormatMicros(in)); err != nil || back != in {
				t.Errorf("round trip of %d gave %d, %v", in, back, err)
			}
		}
	}
}
