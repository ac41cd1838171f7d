package reference

import (
	"os"
	"strings"
	"testing"
)

// Every finding or setup drawn from the thesis must quote words that occur
// in it, so an entry cannot drift from its source unnoticed. The check is
// on distinctive key phrases per entry, and it runs when the thesis text is
// at hand (it lives outside the repository, in ../shared/seeds).
func TestThesisPhrases(t *testing.T) {
	b, err := os.ReadFile("../../shared/seeds/thesis.txt")
	if err != nil {
		t.Skipf("thesis text not at hand: %v", err)
	}
	text := strings.ToLower(string(b))
	for _, phrase := range []string{
		"same ratio of learning rate",
		"spectral norm of the hessian",
		"frac{\\eta}{4s} \\text{tr}(\\mathbf{h})",
		"decreasing learning rate during training can be replaced by an equivalent linear increase of batch size",
		"stationary diffusion",
		"oscillates",
		"nudged sgd",
		"limit the speed at which network memorizes",
		"critical sample ratio",
		"batch size is close to the size of the training set",
	} {
		if !strings.Contains(text, phrase) {
			t.Errorf("phrase %q not in the thesis: an entry may misquote it", phrase)
		}
	}
}

func TestEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range All() {
		if e.Item == "" || e.Value == "" || e.Source.Document == "" || e.Source.Where == "" {
			t.Errorf("incomplete entry %+v", e)
		}
		if e.Source.Document == "thesis" && e.Source.Page == "" {
			t.Errorf("thesis entry %q has no page", e.Item)
		}
		if e.Kind == Number && e.Value != NotStated {
			t.Errorf("entry %q records a number; the thesis states none, so this must cite where it is stated", e.Item)
		}
		if _, ok := Papers[e.Paper]; !ok {
			t.Errorf("entry %q: unknown paper %q", e.Item, e.Paper)
		}
		seen[e.Claim] = true
	}
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		if !seen[id] || len(ForClaim(id)) == 0 {
			t.Errorf("no entries for %s", id)
		}
	}
	got := ForClaim("c2")
	for i := 1; i < len(got); i++ {
		order := map[Kind]int{Setup: 0, Finding: 1, Number: 2}
		if order[got[i-1].Kind] > order[got[i].Kind] {
			t.Errorf("ForClaim not ordered setup, finding, number: %v then %v", got[i-1].Kind, got[i].Kind)
		}
	}
}
