package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/billing/customers-api/internal/customers"
)

// formatAmount writes an Amount as a numeric(19,4) literal: 12345 → "1.2345".
func formatAmount(a customers.Amount) string {
	sign := ""
	n := int64(a)
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%04d", sign, n/10000, n%10000)
}

// parseAmount reads a numeric(19,4) value as PostgreSQL prints it.
func parseAmount(s string) (customers.Amount, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 4 {
		return 0, fmt.Errorf("amount %q has more than 4 decimals", s)
	}
	frac += strings.Repeat("0", 4-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse amount %q: %w", s, err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse amount %q: %w", s, err)
	}
	n := w*10000 + f
	if neg {
		n = -n
	}
	return customers.Amount(n), nil
}

func parseMoney(currency, amount, usd string) (customers.Money, error) {
	a, err := parseAmount(amount)
	if err != nil {
		return customers.Money{}, err
	}
	u, err := parseAmount(usd)
	if err != nil {
		return customers.Money{}, err
	}
	return customers.Money{Currency: currency, Amount: a, AmountUSD: u}, nil
}
