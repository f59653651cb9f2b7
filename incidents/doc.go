// Package incidents is Paybot's domain: incidents and their status rules,
// severity, the intake flow as data, the timeline, and the Store interface
// that the sqlite and postgres packages implement. It imports no chat SDK
// and no database driver.
package incidents
