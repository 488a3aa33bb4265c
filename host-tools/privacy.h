#ifndef NW_PRIVACY_H
#define NW_PRIVACY_H
/*
 * The one place that decides what about a person may be published
 * (privacy statement 000_36169e302d704185.txt, docs/privacy.md):
 *
 *   published:  first and last name, organization, ISO country code,
 *               profile link if given, onsite/remote (local/remote for a
 *               session's blue sheet)
 *   never:      e-mail, badge id, scan times, datatracker ids, IPs,
 *               demographics (not even stored), redacted people, under-13s
 *               (purged from the store at import)
 *
 * Everything publish writes about people comes from the lists built here.
 * The only non-public fields are the two the datatracker's session-attendees
 * API needs (user id, join time); publish writes them only into the
 * datatracker payloads, outside the public site.
 *
 * Aggregates (counts by country, local/remote per session) go through
 * privacy_count(), which suppresses groups smaller than min_group.
 */
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define PRIVACY_MIN_GROUP_DEFAULT 5

struct privacy_policy {
	int min_group;		/* smallest group an aggregate may show */
};

struct privacy_attendee {
	char *first_name;
	char *last_name;
	char *organization;
	char *country_code;	/* "" when not given */
	char *profile_url;	/* "" when not given */
	int onsite;		/* registration type */
	int local;		/* session lists: scanned in the room (1) or remote */
	/* Datatracker API payloads only, never on the public site: */
	int64_t dt_user_id;	/* 0: none */
	int64_t join_time;	/* UTC seconds, first scan or remote join */
};

struct privacy_list {
	struct privacy_attendee *a;
	int n, cap;
};

/*
 * Attendees of one session: people who scanned their badge on a box during
 * the session (local) or are on the remote attendance list (remote), each
 * once, minus redacted people and unknown badges.  Sorted by last name,
 * first name, organization (bytewise, so output is reproducible).
 */
int privacy_session_attendees(struct store *st, const char *uid,
    struct privacy_list *out);
/* Every registered person who may be published (the meeting's list). */
int privacy_meeting_attendees(struct store *st, struct privacy_list *out);
void privacy_list_free(struct privacy_list *l);

/*
 * Formats an aggregate count into buf: the number, or "fewer than N" when
 * 0 < count < min_group.  Returns 1 when the exact count is shown.
 */
int privacy_count(const struct privacy_policy *p, int count, char *buf,
    size_t len);

/* Display name "First Last" (either part may be empty); malloc'd. */
char *privacy_display_name(const struct privacy_attendee *a);
#endif
