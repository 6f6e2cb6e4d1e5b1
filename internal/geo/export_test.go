package geo

// CityNames lists the table's city names (each resolves to its first row).
func CityNames(g *Gazetteer) []string {
	var out []string
	for _, c := range g.cities {
		out = append(out, c.City+", "+c.Country)
	}
	return out
}
