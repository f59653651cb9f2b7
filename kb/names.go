package kb

import "strings"

// givenNames are common first names across the languages the bot's users
// write in. With it the checks tell "see John Smith" from "see Radar
// Rules": a capitalised word is a name when it is a known first name, or
// when something about it says it is a person. Names that are also
// everyday words, months, places, products or companies in payments (May,
// Will, Mark, Bill, Grant, Penny, Chase, Sage, Lydia, Alma, Grace for a
// grace period) are left out: a false "this is a person" would refuse good
// answers.
var givenNames = toSet(strings.Fields(`
	aaron abdul abdullah abigail abraham adam adeline adrian adriana agnes ahmed ahmad aisha akira alan alba
	alberto alejandra alejandro aleksandr alessandra alessandro alex alexander alexandra alexandre alexei alfonso
	alfredo ali alice alicia alina alison amanda amelia amir amit amy ana anastasia anders andrea andreas andrei
	andres andrew andy angela angelica angelo anil anita anja ann anna anne annette anthony antoine anton antonio
	anya arjun arnaud arthur arturo ashley ashok astrid aurelie axel ayesha barbara beatriz ben benjamin bernard
	bernardo beth betty bianca bilal bjorn bob bobby boris brandon brenda brian bruno camila camille carla carlos
	carmen carol caroline carsten catalina catherine cecilia celine charles charlie charlotte chen chiara
	chloe chris christian christina christine christoph christopher cindy claire clara claudia claudio colin
	cristina cristiano cynthia daan daniel daniela danielle daniele danny dario darius dave david davide debbie
	deborah deepak denis denise derek diana diego dimitri dmitri dmitry dominic dominik donald donna doug douglas
	dylan eduardo edward elena eleni elias elif elisa elisabeth eliza elizabeth ellen emanuele emily emilia
	emma emmanuel enrico enrique eric erik erika ernesto esther ethan eva evelyn fabian fabio fatima federico
	felipe felix fernanda fernando filip filipe fiona florian francesca francesco francisco franco francois
	franziska fred frederik gabriel gabriela gabriele gareth gary george georg gerardo gerhard giorgio giovanni
	giulia giuseppe gloria gonzalo greg gregory guillaume gustavo hamid hannah hans harold harry hassan hector
	heidi helen helena helga henrik henry hiroshi hugo ian ibrahim igor ines ingrid irene isaac isabel isabella
	isabelle ivan jacob jacqueline jakob james jamie jana jane janet janine jason javier jean jeff jeffrey
	jennifer jens jeremy jerome jessica jim jimmy joao joachim joan joanna joe joel johan johannes john johnny
	jonas jonathan jorge jose josef joseph josephine joshua juan judith julia julian juliana julie julien julio
	jurgen justin kai kamal karen karim karin karl kasia katarzyna kate katharina katherine kathleen kathryn katie
	katja kenji kenneth kevin kim klaus kristina krzysztof kumar kwame lars laura lauren laurent leila lena leo
	leon leonardo liam lina linda lisa liu lorenzo louis louise luca lucas lucia luciana lucy luis luisa lukas
	luke magdalena mahmoud maja manuel manuela marc marcel marcelo marco marcos margaret maria mariana marie
	marina mario marisa marta martha martin martina mary mateo mathias matias matteo matthew matthias maurice
	mauricio maximilian megan mehmet melanie melissa mia michael michaela michel michele michelle miguel mikael
	mike mikhail milan miriam mohamed mohammad mohammed monica monika mustafa nadia nancy naoko natalia natalie
	nathalie nathan neha nicholas nicola nicolas nicole niels nikhil nikita nikolai nils nina noah noemi nora
	olga oliver olivia omar oscar pablo paolo patricia patrick paul paula paulo pavel pedro peter petra
	philip philipp philippe pierre pietro pooja priya rafael rahul raj rajesh ramon raquel raul rebecca renata
	rene ricardo richard rita roberta roberto robert rodrigo roger rohan roman ronald rosa ruben rui ruth ryan
	sabine sabrina sadia sakura salma samantha samir samuel sandra sanjay santiago sara sarah sebastian sebastien
	sergei sergey sergio shane sharon sheila simon simone sofia sonia sophia sophie stefan stefano stefanie
	stephanie stephen steve steven susan susanne suresh sven svetlana tanya tatiana teresa thomas tiago timothy
	tobias tom tomas tommaso tony tyler ulrich ursula valentina valeria vanessa vera veronica vicente 
	vijay vikram vincent vincenzo virginie vivek vladimir walter wei wendy werner william wolfgang xavier yann
	yasmin yuki yusuf yves zainab zoe zhang
	`))

// isGivenName reports whether a word is a known first name written as a
// name ("Ana") or in lower case ("ana").
func isGivenName(w string) bool {
	return len(w) > 2 && givenNames[strings.ToLower(w)] && (nameShaped(w) || w == strings.ToLower(w))
}
