package incidents

import "testing"

func TestComputeSeverity(t *testing.T) {
	pct := func(p float64) Impact { return Impact{Kind: ImpactPercent, Percent: p} }
	tests := []struct {
		name string
		d    Details
		want Severity
	}{
		{"security in prod", Details{Category: CategorySecurity, Environment: EnvProduction, Impact: pct(0)}, Sev1},
		{"security in sandbox", Details{Category: CategorySecurity, Environment: EnvSandbox}, Sev1},
		{"all failing", Details{Category: CategoryDeclines, Environment: EnvProduction, Impact: Impact{Kind: ImpactAll}}, Sev1},
		{"51%", Details{Category: CategoryPayouts, Environment: EnvProduction, Impact: pct(51)}, Sev1},
		{"50%", Details{Category: CategoryPayouts, Environment: EnvProduction, Impact: pct(50)}, Sev2},
		{"10%", Details{Category: CategoryIntegration, Environment: EnvProduction, Impact: pct(10)}, Sev2},
		{"9.9%", Details{Category: CategoryDeclines, Environment: EnvProduction, Impact: pct(9.9)}, Sev3},
		{"some declines", Details{Category: CategoryDeclines, Environment: EnvProduction, Impact: Impact{Kind: ImpactSome}}, Sev2},
		{"some timeouts", Details{Category: CategoryTimeouts, Environment: EnvProduction, Impact: Impact{Kind: ImpactSome}}, Sev2},
		{"some payouts", Details{Category: CategoryPayouts, Environment: EnvProduction, Impact: Impact{Kind: ImpactSome}}, Sev3},
		{"unknown", Details{Category: CategoryDeclines, Environment: EnvProduction, Impact: Impact{Kind: ImpactUnknown}}, Sev3},
		{"sandbox all", Details{Category: CategoryDeclines, Environment: EnvSandbox, Impact: Impact{Kind: ImpactAll}}, Sev4},
		{"no environment", Details{Category: CategoryDeclines, Impact: Impact{Kind: ImpactAll}}, Sev1},
		{"nothing", Details{}, Sev3},
	}
	for _, tt := range tests {
		if got := ComputeSeverity(tt.d); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
