//! Who may do what, as vocabulary (issue 20): the roles a user or an API key holds and the
//! permissions each role grants. One table, read by the HTTP edge (`api::guard`, which maps
//! every route to the permission it needs), the store (roles are kept by name) and the CLI.
//! Imports nothing of the hub but `named`, so every module may name it.

use crate::named::named_enum;

named_enum! {
    /// A user's role, and an API key's scope: the same five for both.
    pub enum Role {
        /// Everything, including users, carrier accounts, webhooks and API keys.
        Admin = "admin",
        /// The shipping desk: rate, buy, void, reprint, trackers, pickups, manifests.
        Shipping = "shipping",
        /// Print stations and their jobs, reprints.
        Warehouse = "warehouse",
        /// Invoices, reconciliation, rate cards, reports and analytics.
        Finance = "finance",
        /// Reads everything a tenant may read; changes nothing.
        Viewer = "viewer",
    }
}

named_enum! {
    /// What a request needs. Reading (`read`) is every role's; each other permission is one
    /// kind of change.
    pub enum Permission {
        /// Read the tenant's shipments, trackers, stations, reports, settings …
        Read = "read",
        /// Rate-shop and check addresses.
        Rate = "rate",
        /// Buy shipments, batches, pickups and manifests.
        Buy = "buy",
        /// Void shipments, cancel pickups.
        Void = "void",
        /// Send a label to a print station (again).
        Reprint = "reprint",
        /// Start following parcels.
        Trackers = "trackers",
        /// Register print stations, rotate their tokens.
        PrintStations = "print_stations",
        /// Add and delete carrier accounts.
        CarrierAccounts = "carrier_accounts",
        /// Webhook endpoints: subscribe, change, rotate, test, resend, recover.
        Webhooks = "webhooks",
        /// Upload invoices, pull bills, rate cards, audit settings, invoice mappings.
        Reconcile = "reconcile",
        /// List, invite, change and disable users.
        Users = "users",
        /// Create, rotate and revoke API keys.
        ApiKeys = "api_keys",
    }
}

impl Role {
    /// Whether this role grants `p`.
    pub const fn grants(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => true,
            Role::Shipping => matches!(
                p,
                P::Read | P::Rate | P::Buy | P::Void | P::Reprint | P::Trackers
            ),
            Role::Warehouse => matches!(p, P::Read | P::PrintStations | P::Reprint),
            Role::Finance => matches!(p, P::Read | P::Reconcile),
            Role::Viewer => matches!(p, P::Read),
        }
    }

    /// The permissions this role grants, in declaration order.
    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(|p| self.grants(*p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_has_everything_and_viewer_only_reads() {
        assert_eq!(Role::Admin.permissions(), Permission::ALL);
        assert_eq!(Role::Viewer.permissions(), vec![Permission::Read]);
        for r in Role::ALL {
            assert!(r.grants(Permission::Read), "{r} reads");
            assert_eq!(
                r.grants(Permission::Users),
                *r == Role::Admin,
                "only admins manage users"
            );
        }
        assert!(Role::Warehouse.grants(Permission::Reprint));
        assert!(!Role::Warehouse.grants(Permission::Buy));
        assert!(Role::Finance.grants(Permission::Reconcile));
        assert!(!Role::Shipping.grants(Permission::Reconcile));
    }
}
