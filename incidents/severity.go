package incidents

// ComputeSeverity derives an incident's severity from its intake details.
// The rule, first match wins:
//
//   - SEV1: the category is a security concern (in any environment: a leaked
//     key or card data matters even in a sandbox).
//   - SEV4: the environment is the sandbox (or staging/test).
//   - SEV1: production, and all traffic or more than 50% fails.
//   - SEV2: production, and 10% to 50% fails (any category), or "some" fails
//     and the category is declines or timeouts (customers cannot pay).
//   - SEV3: production otherwise (under 10%, "some" for integration, payouts
//     or other problems, or unknown impact).
//
// An environment that is empty or not recognised counts as production, so
// a custom flow without an environment step errs on the side of urgency.
func ComputeSeverity(d Details) Severity {
	if d.Category == CategorySecurity {
		return Sev1
	}
	if d.Environment == EnvSandbox {
		return Sev4
	}
	switch d.Impact.Kind {
	case ImpactAll:
		return Sev1
	case ImpactPercent:
		switch {
		case d.Impact.Percent > 50:
			return Sev1
		case d.Impact.Percent >= 10:
			return Sev2
		}
	case ImpactSome:
		if d.Category == CategoryDeclines || d.Category == CategoryTimeouts {
			return Sev2
		}
	}
	return Sev3
}
