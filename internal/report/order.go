package report

// checkOrder is the order of checks in reports and tables (docs/api.md, "Report JSON v1").
var checkOrder = [...]string{CheckCamera, CheckFace, CheckFaceSwap, CheckReplay, CheckLiveness,
	CheckVirtualCamera, CheckTimezone, CheckNetwork}

// CheckRank is id's place in the order reports list their checks (docs/api.md, "Report JSON
// v1"): camera 0 to network 7. An id that is not a check of report JSON v1 ranks after them
// all, with known false.
func CheckRank(id string) (rank int, known bool) {
	for i, c := range checkOrder {
		if c == id {
			return i, true
		}
	}
	return len(checkOrder), false
}
