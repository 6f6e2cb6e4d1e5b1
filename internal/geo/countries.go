package geo

import "strings"

// countries: ISO 3166-1 alpha-2 code, English name, other names people write.
var countries = [][]string{
	{"US", "United States", "usa", "united states of america", "america", "u s", "us"},
	{"CA", "Canada"}, {"MX", "Mexico"}, {"GT", "Guatemala"}, {"SV", "El Salvador"},
	{"HN", "Honduras"}, {"NI", "Nicaragua"}, {"CR", "Costa Rica"}, {"PA", "Panama"},
	{"CU", "Cuba"}, {"DO", "Dominican Republic"}, {"PR", "Puerto Rico"}, {"JM", "Jamaica"},
	{"CO", "Colombia"}, {"VE", "Venezuela"}, {"EC", "Ecuador"}, {"PE", "Peru"}, {"BO", "Bolivia"},
	{"CL", "Chile"}, {"AR", "Argentina"}, {"UY", "Uruguay"}, {"PY", "Paraguay"}, {"BR", "Brazil", "brasil"},
	{"GB", "United Kingdom", "uk", "great britain", "britain", "england", "scotland", "wales", "northern ireland"},
	{"IE", "Ireland"}, {"FR", "France"}, {"DE", "Germany", "deutschland"}, {"NL", "Netherlands", "the netherlands", "holland"},
	{"BE", "Belgium"}, {"LU", "Luxembourg"}, {"CH", "Switzerland"}, {"AT", "Austria"}, {"ES", "Spain", "espana"},
	{"PT", "Portugal"}, {"IT", "Italy", "italia"}, {"DK", "Denmark"}, {"SE", "Sweden"}, {"NO", "Norway"},
	{"FI", "Finland"}, {"IS", "Iceland"}, {"EE", "Estonia"}, {"LV", "Latvia"}, {"LT", "Lithuania"},
	{"PL", "Poland", "polska"}, {"CZ", "Czechia", "czech republic"}, {"SK", "Slovakia"}, {"HU", "Hungary"},
	{"SI", "Slovenia"}, {"HR", "Croatia"}, {"RS", "Serbia"}, {"BA", "Bosnia and Herzegovina", "bosnia"},
	{"MK", "North Macedonia", "macedonia"}, {"AL", "Albania"}, {"BG", "Bulgaria"}, {"RO", "Romania"},
	{"MD", "Moldova"}, {"GR", "Greece"}, {"TR", "Turkey", "turkiye"}, {"UA", "Ukraine"}, {"BY", "Belarus"},
	{"RU", "Russia", "russian federation"}, {"GE", "Georgia"}, {"AM", "Armenia"}, {"AZ", "Azerbaijan"},
	{"KZ", "Kazakhstan"}, {"UZ", "Uzbekistan"}, {"KG", "Kyrgyzstan"}, {"IR", "Iran"}, {"IQ", "Iraq"},
	{"SA", "Saudi Arabia"}, {"AE", "United Arab Emirates", "uae"}, {"QA", "Qatar"}, {"KW", "Kuwait"},
	{"BH", "Bahrain"}, {"OM", "Oman"}, {"JO", "Jordan"}, {"LB", "Lebanon"}, {"IL", "Israel"}, {"CY", "Cyprus"},
	{"EG", "Egypt"}, {"MA", "Morocco"}, {"DZ", "Algeria"}, {"TN", "Tunisia"}, {"NG", "Nigeria"}, {"GH", "Ghana"},
	{"SN", "Senegal"}, {"CI", "Cote d'Ivoire", "ivory coast"}, {"ET", "Ethiopia"}, {"KE", "Kenya"},
	{"UG", "Uganda"}, {"RW", "Rwanda"}, {"TZ", "Tanzania"}, {"CD", "DR Congo", "democratic republic of the congo"},
	{"AO", "Angola"}, {"ZM", "Zambia"}, {"ZW", "Zimbabwe"}, {"ZA", "South Africa"}, {"PK", "Pakistan"},
	{"AF", "Afghanistan"}, {"IN", "India"}, {"LK", "Sri Lanka"}, {"NP", "Nepal"}, {"BD", "Bangladesh"},
	{"MM", "Myanmar", "burma"}, {"TH", "Thailand"}, {"VN", "Vietnam", "viet nam"}, {"KH", "Cambodia"},
	{"LA", "Laos"}, {"MY", "Malaysia"}, {"SG", "Singapore"}, {"ID", "Indonesia"}, {"PH", "Philippines"},
	{"HK", "Hong Kong"}, {"MO", "Macau", "macao"}, {"TW", "Taiwan"}, {"CN", "China", "prc", "people's republic of china"},
	{"KP", "North Korea", "dprk"}, {"KR", "South Korea", "korea", "republic of korea"}, {"JP", "Japan"},
	{"MN", "Mongolia"}, {"AU", "Australia"}, {"NZ", "New Zealand"}, {"FJ", "Fiji"}, {"PG", "Papua New Guinea"},
}

// regions: country, code, name of US states, Canadian provinces and Australian states.
var regions = [][3]string{
	{"US", "AL", "Alabama"}, {"US", "AK", "Alaska"}, {"US", "AZ", "Arizona"}, {"US", "AR", "Arkansas"},
	{"US", "CA", "California"}, {"US", "CO", "Colorado"}, {"US", "CT", "Connecticut"}, {"US", "DE", "Delaware"},
	{"US", "DC", "District of Columbia"}, {"US", "FL", "Florida"}, {"US", "GA", "Georgia"}, {"US", "HI", "Hawaii"},
	{"US", "ID", "Idaho"}, {"US", "IL", "Illinois"}, {"US", "IN", "Indiana"}, {"US", "IA", "Iowa"},
	{"US", "KS", "Kansas"}, {"US", "KY", "Kentucky"}, {"US", "LA", "Louisiana"}, {"US", "ME", "Maine"},
	{"US", "MD", "Maryland"}, {"US", "MA", "Massachusetts"}, {"US", "MI", "Michigan"}, {"US", "MN", "Minnesota"},
	{"US", "MS", "Mississippi"}, {"US", "MO", "Missouri"}, {"US", "MT", "Montana"}, {"US", "NE", "Nebraska"},
	{"US", "NV", "Nevada"}, {"US", "NH", "New Hampshire"}, {"US", "NJ", "New Jersey"}, {"US", "NM", "New Mexico"},
	{"US", "NY", "New York"}, {"US", "NC", "North Carolina"}, {"US", "ND", "North Dakota"}, {"US", "OH", "Ohio"},
	{"US", "OK", "Oklahoma"}, {"US", "OR", "Oregon"}, {"US", "PA", "Pennsylvania"}, {"US", "RI", "Rhode Island"},
	{"US", "SC", "South Carolina"}, {"US", "SD", "South Dakota"}, {"US", "TN", "Tennessee"}, {"US", "TX", "Texas"},
	{"US", "UT", "Utah"}, {"US", "VT", "Vermont"}, {"US", "VA", "Virginia"}, {"US", "WA", "Washington"},
	{"US", "WV", "West Virginia"}, {"US", "WI", "Wisconsin"}, {"US", "WY", "Wyoming"},
	{"CA", "AB", "Alberta"}, {"CA", "BC", "British Columbia"}, {"CA", "MB", "Manitoba"}, {"CA", "NB", "New Brunswick"},
	{"CA", "NL", "Newfoundland and Labrador"}, {"CA", "NS", "Nova Scotia"}, {"CA", "ON", "Ontario"},
	{"CA", "PE", "Prince Edward Island"}, {"CA", "QC", "Quebec"}, {"CA", "SK", "Saskatchewan"},
	{"AU", "NSW", "New South Wales"}, {"AU", "VIC", "Victoria"}, {"AU", "QLD", "Queensland"},
	{"AU", "WA", "Western Australia"}, {"AU", "SA", "South Australia"}, {"AU", "TAS", "Tasmania"},
	{"AU", "ACT", "Australian Capital Territory"}, {"AU", "NT", "Northern Territory"},
}

// countryCode returns the ISO code of a normalised country name or code.
func countryCode(q string) (string, bool) {
	for _, c := range countries {
		if q == strings.ToLower(c[0]) {
			return c[0], true
		}
		for _, n := range c[1:] {
			if q == normalize(n) {
				return c[0], true
			}
		}
	}
	return "", false
}

// regionCode returns the region code of a normalised region name or code within country.
func regionCode(country, q string) (string, bool) {
	for _, r := range regions {
		if r[0] == country && (q == strings.ToLower(r[1]) || q == normalize(r[2])) {
			return r[1], true
		}
	}
	return "", false
}

// regionCountry returns the country of a region written alone ("TX", "Ontario"); US first.
func regionCountry(q string) (string, bool) {
	for _, r := range regions {
		if q == strings.ToLower(r[1]) || q == normalize(r[2]) {
			return r[0], true
		}
	}
	return "", false
}

// CountryName returns the English name of an ISO code, or the code when unknown.
func CountryName(code string) string {
	for _, c := range countries {
		if c[0] == code {
			return c[1]
		}
	}
	return code
}
