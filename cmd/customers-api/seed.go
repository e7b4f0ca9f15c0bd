package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/postgres"
)

const seedUsage = "usage: customers-api seed --org ORG_ID --rows N [--seed S] [--rebuild-indexes=false]"

// seedBatch is how many customers one COPY writes; progress is shown after
// each.
const seedBatch = 10000

// seed loads --rows generated customers into organization --org by COPY,
// for benchmarks and demos, in one transaction: all or nothing. The data is
// realistic and varied, and the same --seed always gives the same customers
// (ids included), so a second run with the same seed fails on the first
// duplicate id and loads nothing. It prints the number loaded.
func seed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization id (required)")
	rows := fs.Int("rows", 1000, "number of customers to insert")
	seedValue := fs.Uint64("seed", 1, "random seed: the same seed gives the same customers")
	rebuild := fs.Bool("rebuild-indexes", true, "drop the secondary indexes while loading and create them again after (much faster; locks the tables meanwhile)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" || *rows < 0 || fs.NArg() > 0 {
		return errors.New(seedUsage)
	}
	return withDatabase(ctx, getenv, stderr, func(d *database) error {
		if err := seedCustomers(ctx, postgres.New(d.db), *org, *rows, *seedValue, *rebuild, stderr); err != nil {
			return err
		}
		fmt.Fprintln(stdout, *rows)
		return nil
	})
}

func seedCustomers(ctx context.Context, store *postgres.Store, orgID string, rows int, seedValue uint64, rebuild bool, stderr io.Writer) error {
	exists, err := store.OrganizationExists(ctx, orgID)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("organization %q does not exist", orgID)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Generation (JSON, hashes) overlaps the COPY of the previous batch.
	gen := newSeedGenerator(seedValue)
	next := postgres.SeedBatches(ctx, rows, seedBatch, gen.customer)
	began := time.Now()
	progress := func(n int) {
		elapsed := time.Since(began)
		fmt.Fprintf(stderr, "copied %d/%d customers in %s (%.0f/s)\n",
			n, rows, elapsed.Round(100*time.Millisecond), float64(n)/elapsed.Seconds())
		if n == rows && rebuild {
			fmt.Fprintln(stderr, "creating the indexes again")
		}
	}
	n, err := store.Seed(ctx, orgID, next, postgres.SeedOptions{RebuildIndexes: rebuild, Progress: progress})
	if err != nil {
		return fmt.Errorf("seed: nothing was loaded: %w", err)
	}
	fmt.Fprintf(stderr, "seeded %d customers in %s\n", n, time.Since(began).Round(100*time.Millisecond))
	return nil
}

// seedGenerator makes the customers of one organization. Customer i depends
// only on the seed and i.
type seedGenerator struct {
	seed uint64
	// base is the earliest creation time; customers spread over 3 years.
	base time.Time
}

func newSeedGenerator(seed uint64) *seedGenerator {
	return &seedGenerator{seed: seed, base: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}
}

type seedCountry struct {
	code, locale, phonePrefix string
	cities                    []seedCity
	weight                    int
}

type seedCity struct{ name, region, postalPrefix string }

var seedCountries = []seedCountry{
	{"US", "en-US", "+1", []seedCity{{"New York", "NY", "100"}, {"Austin", "TX", "787"}, {"San Francisco", "CA", "941"}, {"Chicago", "IL", "606"}, {"Seattle", "WA", "981"}}, 35},
	{"GB", "en-GB", "+44", []seedCity{{"London", "Greater London", "SW1A "}, {"Manchester", "Greater Manchester", "M1 "}, {"Edinburgh", "Scotland", "EH1 "}, {"Bristol", "Bristol", "BS1 "}}, 15},
	{"DE", "de-DE", "+49", []seedCity{{"Berlin", "Berlin", "101"}, {"Munich", "Bavaria", "803"}, {"Hamburg", "Hamburg", "203"}}, 8},
	{"FR", "fr-FR", "+33", []seedCity{{"Paris", "Ile-de-France", "750"}, {"Lyon", "Auvergne-Rhone-Alpes", "690"}}, 7},
	{"CA", "en-CA", "+1", []seedCity{{"Toronto", "ON", "M5V "}, {"Montreal", "QC", "H2X "}, {"Vancouver", "BC", "V6B "}}, 6},
	{"AU", "en-AU", "+61", []seedCity{{"Sydney", "NSW", "20"}, {"Melbourne", "VIC", "30"}}, 4},
	{"NL", "nl-NL", "+31", []seedCity{{"Amsterdam", "North Holland", "101"}, {"Utrecht", "Utrecht", "351"}}, 4},
	{"ES", "es-ES", "+34", []seedCity{{"Madrid", "Madrid", "280"}, {"Barcelona", "Catalonia", "080"}}, 4},
	{"IT", "it-IT", "+39", []seedCity{{"Milan", "Lombardy", "201"}, {"Rome", "Lazio", "001"}}, 3},
	{"JP", "ja-JP", "+81", []seedCity{{"Tokyo", "Tokyo", "100-"}, {"Osaka", "Osaka", "530-"}}, 3},
	{"BR", "pt-BR", "+55", []seedCity{{"Sao Paulo", "SP", "01000-"}, {"Rio de Janeiro", "RJ", "20000-"}}, 3},
	{"IN", "en-IN", "+91", []seedCity{{"Bengaluru", "Karnataka", "560"}, {"Mumbai", "Maharashtra", "400"}}, 2},
	{"MX", "es-MX", "+52", []seedCity{{"Mexico City", "CDMX", "06"}, {"Guadalajara", "Jalisco", "44"}}, 2},
	{"SE", "sv-SE", "+46", []seedCity{{"Stockholm", "Stockholm", "111 "}}, 2},
	{"IE", "en-IE", "+353", []seedCity{{"Dublin", "Leinster", "D02 "}}, 1},
	{"PL", "pl-PL", "+48", []seedCity{{"Warsaw", "Masovia", "00-"}}, 1},
}

var seedCountryWeights = func() (total int) {
	for _, c := range seedCountries {
		total += c.weight
	}
	return total
}()

var (
	seedFirstNames = []string{
		"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
		"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
		"Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava", "Lukas", "Mia", "Hugo", "Emma", "Lucas", "Chloe",
		"Sofia", "Mateo", "Yuki", "Haruto", "Aarav", "Priya", "Ana", "Joao", "Lars", "Ingrid", "Zofia", "Jakub",
		"Aoife", "Sean", "Noah", "Liam", "Olivia", "Ada", "Grace", "Alan", "Marie", "Pierre", "Giulia", "Marco",
	}
	seedLastNames = []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
		"Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
		"Muller", "Schmidt", "Schneider", "Fischer", "Dubois", "Lefebvre", "Rossi", "Russo", "Sato", "Suzuki",
		"Silva", "Santos", "Kowalski", "Nowak", "Andersson", "Johansson", "Murphy", "Kelly", "OBrien", "Patel",
		"Sharma", "de Vries", "Jansen", "Fernandez", "Lovelace", "Hopper", "Turing", "Curie", "Goldsmith", "Smithson",
	}
	seedEmailDomains = []string{
		"gmail.com", "yahoo.com", "outlook.com", "hotmail.co.uk", "icloud.com", "proton.me", "web.de",
		"orange.fr", "example.com", "example.org", "mail.example.net",
	}
	seedCompanies = []string{
		"Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Industries", "Wayne Enterprises", "Hooli",
		"Vandelay Industries", "Soylent GmbH", "Tyrell SA", "Cyberdyne Systems", "Wonka Foods", "Aperture Labs",
		"Massive Dynamic", "Oceanic Airlines", "Pied Piper", "Dunder Mifflin", "Monsters Inc", "Gringotts Bank",
	}
	seedJobTitles = []string{"CEO", "CTO", "Head of Finance", "Accountant", "Buyer", "Engineer", "Designer", "Office Manager", "Founder", "Consultant"}
	seedStreets   = []string{"Main St", "High Street", "Church Road", "Park Avenue", "Station Road", "Elm Street", "Market Square", "Queen Street", "Mill Lane", "Harbour View"}
	seedTags      = []string{"vip", "newsletter", "wholesale", "churn-risk", "beta", "partner", "black-friday", "trial", "enterprise", "reseller"}
	seedTiers     = []string{"bronze", "silver", "gold", "platinum"}
	seedChannels  = []string{"web", "mobile", "phone", "store", "partner"}
	seedInterests = []string{"books", "music", "travel", "sports", "tech", "food", "fashion", "games"}
	seedWebsites  = []string{"web-main", "web-shop", "web-eu", "web-us", "store-mobile"}
	seedSources   = []struct{ source, medium string }{
		{"google", "cpc"}, {"google", "organic"}, {"facebook", "social"}, {"newsletter", "email"},
		{"partner-blog", "referral"}, {"bing", "cpc"}, {"linkedin", "social"}, {"podcast", "audio"},
	}
	seedCampaigns = []string{"spring-2024", "summer-sale", "black-friday-2024", "spring-2025", "launch", "retargeting", "brand"}
)

// customer returns customer i.
func (g *seedGenerator) customer(i int) postgres.SeedCustomer {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	pct := func(p int) bool { return r.IntN(100) < p }
	s := func(v string) *string { return &v }

	c := &customers.Customer{
		ID:              seedID(r, g.seed, i),
		CustomFields:    map[string]any{},
		AverageValue:    customers.Money{Currency: "USD"},
		LifetimeRevenue: customers.Money{Currency: "USD"},
		Tags:            []string{},
		IsEddRequired:   pct(5),
	}
	// Created over three years, whole seconds; half were changed later,
	// each change a revision.
	c.CreatedTime = g.base.Add(time.Duration(r.Int64N(int64(3*365*24*time.Hour/time.Second))) * time.Second)
	c.UpdatedTime = c.CreatedTime
	if pct(50) {
		c.Revision = 1 + r.Int64N(20)
		c.UpdatedTime = c.CreatedTime.Add(time.Duration(1+r.Int64N(int64(180*24*time.Hour/time.Second))) * time.Second)
	}

	country, w := seedCountries[len(seedCountries)-1], r.IntN(seedCountryWeights)
	for _, sc := range seedCountries {
		if w < sc.weight {
			country = sc
			break
		}
		w -= sc.weight
	}
	switch {
	case pct(80):
		c.Locale = s(country.locale)
	case pct(50):
		c.Locale = s(strings.Replace(country.locale, "-", "_", 1)) // POSIX style, kept as sent
	}
	if pct(60) {
		c.WebsiteID = s(pick(seedWebsites))
	}
	if pct(30) {
		c.DefaultPaymentInstrument = &customers.PaymentInstrument{
			Method:              customers.PaymentMethods[r.IntN(len(customers.PaymentMethods))],
			PaymentInstrumentID: s(fmt.Sprintf("pi_%012x", r.Uint64()&0xffffffffffff)),
		}
	}
	for _, tag := range seedTags {
		if pct(8) {
			c.Tags = append(c.Tags, tag)
		}
	}
	if pct(70) {
		c.CustomFields["tier"] = pick(seedTiers)
	}
	if pct(50) {
		c.CustomFields["score"] = json.Number(strconv.Itoa(r.IntN(1000)))
	}
	if pct(30) {
		c.CustomFields["newsletter"] = pct(50)
	}
	if pct(25) {
		c.CustomFields["signupChannel"] = pick(seedChannels)
	}
	if pct(20) {
		c.CustomFields["interests"] = []any{pick(seedInterests), pick(seedInterests)}
	}
	if pct(95) {
		c.PrimaryAddress = g.contact(r, country)
	}

	sc := postgres.SeedCustomer{Customer: c}
	if pct(30) {
		src := seedSources[r.IntN(len(seedSources))]
		data := customers.LeadSourceData{Source: s(src.source), Medium: s(src.medium)}
		if pct(70) {
			data.Campaign = s(pick(seedCampaigns))
		}
		if pct(30) {
			data.Referrer = s("https://www." + src.source + ".com/")
		}
		if pct(10) {
			data.Affiliate = s("aff-" + strconv.Itoa(r.IntN(50)))
		}
		sc.LeadSource = &customers.LeadSource{
			CustomerID: c.ID, LeadSourceData: data, Original: data,
			CreatedTime: c.CreatedTime, UpdatedTime: c.CreatedTime,
		}
	}
	return sc
}

// seedID is a UUID v4 from r, as the server makes them; one customer in ten
// has an id chosen by an importing client instead.
func seedID(r *rand.Rand, seed uint64, i int) string {
	if r.IntN(10) == 0 {
		return fmt.Sprintf("import-%d-%07d", seed, i)
	}
	var b [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for k := 0; k < 8; k++ {
		b[k], b[8+k] = byte(hi>>(8*k)), byte(lo>>(8*k))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *seedGenerator) contact(r *rand.Rand, country seedCountry) *customers.Contact {
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	pct := func(p int) bool { return r.IntN(100) < p }
	s := func(v string) *string { return &v }

	first, last := pick(seedFirstNames), pick(seedLastNames)
	city := country.cities[r.IntN(len(country.cities))]
	a := &customers.Contact{Country: s(country.code), City: s(city.name), Region: s(city.region)}
	if pct(97) {
		a.FirstName, a.LastName = s(first), s(last)
	}
	if pct(85) {
		a.Address = s(fmt.Sprintf("%d %s", 1+r.IntN(250), pick(seedStreets)))
		a.PostalCode = s(city.postalPrefix + fmt.Sprintf("%03d", r.IntN(1000)))
	}
	if pct(15) {
		a.Address2 = s(fmt.Sprintf("Apt %d", 1+r.IntN(40)))
	}
	if pct(40) {
		a.Organization = s(pick(seedCompanies))
	}
	if pct(30) {
		a.JobTitle = s(pick(seedJobTitles))
	}
	if pct(50) {
		a.Dob = s(time.Date(1940+r.IntN(65), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
	}
	local := strings.ToLower(strings.ReplaceAll(first+"."+last, " ", ""))
	for n, count := 0, 1+r.IntN(3)-boolInt(pct(5)); n < count; n++ {
		value := fmt.Sprintf("%s%d@%s", local, r.IntN(10000), pick(seedEmailDomains))
		if n == 0 && pct(10) {
			value = first + "." + strings.ReplaceAll(last, " ", "") + "@" + pick(seedEmailDomains) // mixed case, as typed
		}
		label := "personal"
		if n > 0 {
			label = "work"
		}
		a.Emails = append(a.Emails, customers.ContactEmail{Label: label, Value: value, Primary: n == 1 && pct(30)})
	}
	for n, count := 0, r.IntN(3); n < count; n++ {
		label := []string{"mobile", "home", "work"}[n]
		value := fmt.Sprintf("%s %03d %03d %04d", country.phonePrefix, r.IntN(1000), r.IntN(1000), r.IntN(10000))
		a.PhoneNumbers = append(a.PhoneNumbers, customers.ContactPhone{Label: label, Value: value, Primary: n == 0 && pct(50)})
	}
	a.Hash = customers.ContactHash(a)
	return a
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
