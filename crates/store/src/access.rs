//! Who may see and change a person's journal: the rules, written once.
//!
//! The backends only fetch rows (the person, its shares); these functions
//! decide what those rows allow. A change to who may see a record is made here
//! and nowhere else.

use chrono::{DateTime, Utc};

use crate::model::{Access, Person, Share, UserId};

/// A share counts at `now` when it is not revoked and has not expired (a
/// share expiring exactly at `now` no longer counts).
pub fn is_active(share: &Share, now: DateTime<Utc>) -> bool {
    share.revoked_at.is_none() && share.expires_at.is_none_or(|end| end > now)
}

/// The access `user` has to a person owned by `owner`: the owner writes;
/// anyone else gets the best of their shares active at `now` (`shares` may
/// hold anyone's shares of that person; only `user`'s count), or nothing.
pub fn access_of(
    user: UserId,
    owner: UserId,
    shares: &[Share],
    now: DateTime<Utc>,
) -> Option<Access> {
    if user == owner {
        return Some(Access::Write);
    }
    shares
        .iter()
        .filter(|share| share.grantee_id == user && is_active(share, now))
        .map(|share| share.access)
        .max()
}

/// Adding to the journal needs write access.
pub fn may_write(access: Option<Access>) -> bool {
    access == Some(Access::Write)
}

/// Sharing a journal needs write access to it: a reader cannot pass it on.
pub fn may_grant(access: Option<Access>) -> bool {
    may_write(access)
}

/// A share may be ended by whoever may grant it, or by its grantee (giving up
/// their own access).
pub fn may_revoke(user: UserId, share: &Share, access: Option<Access>) -> bool {
    share.grantee_id == user || may_grant(access)
}

/// The people `user` may see at `now`, each with the access they have, in the
/// order given. `shares` are shares of these people (anyone's).
pub fn visible_people(
    user: UserId,
    people: Vec<Person>,
    shares: &[Share],
    now: DateTime<Utc>,
) -> Vec<(Person, Access)> {
    people
        .into_iter()
        .filter_map(|person| {
            let theirs: Vec<Share> = shares
                .iter()
                .filter(|share| share.person_id == person.id)
                .cloned()
                .collect();
            access_of(user, person.owner_id, &theirs, now).map(|access| (person, access))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::model::{PersonId, ShareId};

    const OWNER: UserId = UserId(1);
    const GUEST: UserId = UserId(2);
    const STRANGER: UserId = UserId(3);
    const PERSON: PersonId = PersonId(10);

    fn at(hour: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::hours(hour)
    }

    fn share(id: i64, grantee: UserId, access: Access) -> Share {
        Share {
            id: ShareId(id),
            person_id: PERSON,
            grantee_id: grantee,
            access,
            granted_by: OWNER,
            created_at: at(0),
            expires_at: None,
            revoked_at: None,
        }
    }

    fn person(id: i64, owner: UserId) -> Person {
        Person {
            id: PersonId(id),
            owner_id: owner,
            display_name: format!("person {id}"),
            created_at: at(0),
        }
    }

    #[test]
    fn the_owner_writes_without_any_share() {
        assert_eq!(access_of(OWNER, OWNER, &[], at(1)), Some(Access::Write));
        assert!(may_write(access_of(OWNER, OWNER, &[], at(1))));
        assert!(may_grant(access_of(OWNER, OWNER, &[], at(1))));
    }

    #[test]
    fn a_read_share_reads_but_neither_writes_nor_grants() {
        let shares = [share(1, GUEST, Access::Read)];
        let access = access_of(GUEST, OWNER, &shares, at(1));
        assert_eq!(access, Some(Access::Read));
        assert!(!may_write(access));
        assert!(!may_grant(access));
    }

    #[test]
    fn a_write_share_writes_and_grants() {
        let shares = [share(1, GUEST, Access::Write)];
        let access = access_of(GUEST, OWNER, &shares, at(1));
        assert_eq!(access, Some(Access::Write));
        assert!(may_write(access));
        assert!(may_grant(access));
    }

    #[test]
    fn an_expired_share_gives_nothing_from_its_expiry_on() {
        let mut expiring = share(1, GUEST, Access::Write);
        expiring.expires_at = Some(at(2));
        let shares = [expiring];
        assert_eq!(access_of(GUEST, OWNER, &shares, at(1)), Some(Access::Write));
        assert_eq!(access_of(GUEST, OWNER, &shares, at(2)), None, "at expiry");
        assert_eq!(access_of(GUEST, OWNER, &shares, at(3)), None);
    }

    #[test]
    fn a_revoked_share_gives_nothing() {
        let mut revoked = share(1, GUEST, Access::Write);
        revoked.revoked_at = Some(at(1));
        assert_eq!(access_of(GUEST, OWNER, &[revoked], at(0)), None);
    }

    #[test]
    fn a_stranger_gets_nothing_even_beside_others_shares() {
        let shares = [share(1, GUEST, Access::Write)];
        let access = access_of(STRANGER, OWNER, &shares, at(1));
        assert_eq!(access, None);
        assert!(!may_write(access));
        assert!(!may_grant(access));
    }

    #[test]
    fn of_two_active_shares_the_better_one_wins() {
        let shares = [
            share(1, GUEST, Access::Read),
            share(2, GUEST, Access::Write),
        ];
        assert_eq!(access_of(GUEST, OWNER, &shares, at(1)), Some(Access::Write));
        let shares = [
            share(1, GUEST, Access::Write),
            share(2, GUEST, Access::Read),
        ];
        assert_eq!(access_of(GUEST, OWNER, &shares, at(1)), Some(Access::Write));
    }

    #[test]
    fn the_better_share_counts_only_while_it_is_active() {
        let mut better = share(2, GUEST, Access::Write);
        better.expires_at = Some(at(2));
        let shares = [share(1, GUEST, Access::Read), better];
        assert_eq!(access_of(GUEST, OWNER, &shares, at(1)), Some(Access::Write));
        assert_eq!(access_of(GUEST, OWNER, &shares, at(3)), Some(Access::Read));
    }

    #[test]
    fn a_grantee_may_give_up_a_share_a_stranger_may_not_end_it() {
        let read = share(1, GUEST, Access::Read);
        assert!(may_revoke(GUEST, &read, Some(Access::Read)));
        assert!(may_revoke(OWNER, &read, Some(Access::Write)));
        assert!(!may_revoke(STRANGER, &read, None));
        assert!(!may_revoke(STRANGER, &read, Some(Access::Read)));
    }

    #[test]
    fn visible_people_are_the_owned_and_the_actively_shared() {
        let mine = person(10, GUEST);
        let shared = person(11, OWNER);
        let lapsed = person(12, OWNER);
        let mut shares = vec![share(1, GUEST, Access::Read)];
        shares[0].person_id = shared.id;
        let mut old = share(2, GUEST, Access::Write);
        old.person_id = lapsed.id;
        old.revoked_at = Some(at(0));
        shares.push(old);
        let seen = visible_people(
            GUEST,
            vec![mine.clone(), shared.clone(), lapsed],
            &shares,
            at(1),
        );
        assert_eq!(seen, [(mine, Access::Write), (shared, Access::Read)]);
    }
}
