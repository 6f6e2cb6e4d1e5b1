package geo

import (
	"bufio"
	_ "embed"
	"math"
	"strconv"
	"strings"
)

//go:embed cities.tsv
var citiesTSV string

// Place is a point on Earth with a name, e.g. a geocoded claimed location or the server.
type Place struct {
	Name     string // as written by whoever named it, e.g. "Austin, TX"
	City     string // the table's name, e.g. "Austin"; empty for a country only
	Country  string // ISO 3166-1 alpha-2; empty when unknown
	Region   string // state or province code, when the table has one
	Lat, Lon float64
	HasPoint bool   // Lat/Lon are meaningful (false for a country only)
	Zone     string // IANA timezone of the city
}

// Gazetteer geocodes place names offline with the embedded table of cities (cities.tsv).
type Gazetteer struct {
	cities []Place
	byName map[string][]int // normalised name or alias -> indexes, in table order (larger first)
}

// NewGazetteer parses the embedded table of cities.
func NewGazetteer() *Gazetteer {
	g := &Gazetteer{byName: map[string][]int{}}
	sc := bufio.NewScanner(strings.NewReader(citiesTSV))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 6 {
			continue
		}
		lat, err1 := strconv.ParseFloat(f[3], 64)
		lon, err2 := strconv.ParseFloat(f[4], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		p := Place{City: f[0], Country: f[1], Region: f[2], Lat: lat, Lon: lon, HasPoint: true, Zone: f[5]}
		i := len(g.cities)
		g.cities = append(g.cities, p)
		names := []string{f[0]}
		if len(f) > 6 {
			names = append(names, strings.Split(f[6], ",")...)
		}
		for _, n := range names {
			k := normalize(n)
			g.byName[k] = append(g.byName[k], i)
		}
	}
	return g
}

// Len returns the number of cities in the table.
func (g *Gazetteer) Len() int { return len(g.cities) }

// Geocode finds a claimed location written as people write it: "Austin, TX",
// "Austin, Texas, USA", "Berlin, Germany", "São Paulo", or a country alone ("Germany").
// The first part is the city; later parts narrow it down by region or country. A country
// alone gives a Place without a point.
func (g *Gazetteer) Geocode(s string) (Place, bool) {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = normalize(parts[i])
	}
	if len(parts) == 0 || parts[0] == "" {
		return Place{}, false
	}
	qualifiers := parts[1:]
	for _, i := range g.byName[parts[0]] {
		c := g.cities[i]
		if matchesAll(c, qualifiers) {
			c.Name = strings.TrimSpace(s)
			return c, true
		}
	}
	// "Germany", or "Somewhere small, Germany": the country is all we know.
	for j := len(parts) - 1; j >= 0; j-- {
		if cc, ok := countryCode(parts[j]); ok {
			return Place{Name: strings.TrimSpace(s), Country: cc}, true
		}
		if cc, ok := regionCountry(parts[j]); ok && j > 0 {
			return Place{Name: strings.TrimSpace(s), Country: cc}, true
		}
	}
	return Place{}, false
}

// matchesAll reports whether every qualifier ("TX", "Texas", "USA", "Canada") names c's
// region or country. "CA" is both California and Canada: either fits when it fits c.
func matchesAll(c Place, qualifiers []string) bool {
	for _, q := range qualifiers {
		if q == "" {
			continue
		}
		if code, ok := regionCode(c.Country, q); ok && code == c.Region {
			continue
		}
		if cc, ok := countryCode(q); ok && cc == c.Country {
			continue
		}
		return false // a qualifier that does not fit: do not guess
	}
	return true
}

// normalize lower-cases s, trims it, drops accents and full stops ("St. Louis" = "st louis").
func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		if r == '.' {
			continue
		}
		if f, ok := fold[r]; ok {
			r = f
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// fold maps the accented Latin letters of the table's names to plain ones.
var fold = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ç': 'c', 'é': 'e', 'è': 'e',
	'ê': 'e', 'ë': 'e', 'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n', 'ó': 'o', 'ô': 'o', 'õ': 'o',
	'ö': 'o', 'ø': 'o', 'ú': 'u', 'ü': 'u', 'û': 'u', 'ș': 's', 'ş': 's', 'ț': 't', 'ł': 'l',
	'ő': 'o', 'ű': 'u', 'č': 'c', 'š': 's', 'ž': 'z', 'ğ': 'g', 'ı': 'i',
}

// DistanceKm is the great-circle distance between two points (haversine, mean Earth radius).
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// FibreKmPerMs is how far light in optical fibre (refractive index ~1.47) travels per
// millisecond of round trip: ~200 km/ms one way, so ~100 km of distance per ms of RTT.
const FibreKmPerMs = 100.0

// MinRTTms is the physical floor on the round-trip time over a distance: real routes are
// longer than the great circle and add switching delay, so real RTTs are higher.
func MinRTTms(km float64) float64 { return km / FibreKmPerMs }
