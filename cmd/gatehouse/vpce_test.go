package main

import (
	"slices"
	"testing"
)

func TestLoadConfigVPCE(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		env     map[string]string
		want    []vpceListener
		wantErr []string
	}{
		{args: []string{"--vpce", "127.0.0.1:8081=vpce-1a2b3c4d,vpc-2f09a348", "--vpce", "127.0.0.1:8082=vpce-0123456789abcdef0"},
			env:  map[string]string{"GATEHOUSE_VPCE": "127.0.0.1:9999=vpce-11111111"},
			want: []vpceListener{{"127.0.0.1:8081", "vpce-1a2b3c4d", "vpc-2f09a348"}, {"127.0.0.1:8082", "vpce-0123456789abcdef0", ""}}},
		{env: map[string]string{"GATEHOUSE_VPCE": "127.0.0.1:8081=vpce-1a2b3c4d,vpc-2f09a348; [::1]:8082=vpce-22222222"},
			want: []vpceListener{{"127.0.0.1:8081", "vpce-1a2b3c4d", "vpc-2f09a348"}, {"[::1]:8082", "vpce-22222222", ""}}},
		{args: []string{"--listen", "127.0.0.1:0", "--vpce", "127.0.0.1:0=vpce-1a2b3c4d", "--vpce", "127.0.0.1:0=vpce-22222222"},
			want: []vpceListener{{"127.0.0.1:0", "vpce-1a2b3c4d", ""}, {"127.0.0.1:0", "vpce-22222222", ""}}},
		{args: []string{"--listen", "127.0.0.1:8080",
			"--vpce", "vpce-1a2b3c4d", "--vpce", "127.0.0.1:8080=vpce-1a2b3c4d", "--vpce", "8081=vpce-1a2b3c4d",
			"--vpce", "127.0.0.1:8082=vpc-1a2b3c4d", "--vpce", "127.0.0.1:8083=vpce-1a2b3c4d,vpce-2f09a348",
			"--vpce", "127.0.0.1:8084=vpce-1a2b3c4d", "--vpce", "127.0.0.1:8084=vpce-22222222", "--vpce", "127.0.0.1:9090=vpce-1a2b3c4d"},
			wantErr: []string{
				`vpce: "vpce-1a2b3c4d" is not LISTEN_ADDR=vpce-id[,vpc-id]`,
				"vpce: 127.0.0.1:8080 is already a listener's address",
				`vpce: "8081" is not host:port`,
				`vpce: 127.0.0.1:8082: "vpc-1a2b3c4d" is not a VPC endpoint id`,
				`vpce: 127.0.0.1:8083: "vpce-2f09a348" is not a VPC id`,
				"vpce: 127.0.0.1:8084 is already a listener's address",
				"vpce: 127.0.0.1:9090 is already a listener's address",
			}},
	}
	for _, tt := range tests {
		cfg, ok := loadConfigCase(t, tt.args, tt.env, tt.wantErr)
		if !ok {
			continue
		}
		if got := cfg.VPCEndpoints.entries; !slices.Equal(got, tt.want) {
			t.Errorf("loadConfig(%q, %v) vpce = %v; want %v", tt.args, tt.env, got, tt.want)
		}
	}
}
