"""The account's wording for what a sync reports, one constant a message.

Its own module so that the rule modules (``engine_members``, ``engine_teams``) and ``engine``,
which re-exports every name, share one spelling without importing each other in a cycle. Tests and
callers compare report items against these names, never against literal strings.
"""

from __future__ import annotations

# The account's own wording for skips (FAQ "What do the Error messages mean?").
ATTRIBUTE_NOT_FOUND = "Attribute Not Found"
OPTION_NOT_FOUND = "Skipped User Attribute Option Not Found"
GROUP_NOT_FOUND = "Skipped User Mapping To Group - Group Not Found"
SUBGROUP_NOT_FOUND = "Skipped Subgroup Mapping To Group - Subgroup Not Found"
USER_NOT_FOUND = "Skipped User Mapping To Group - User Not Found"
# Our wording for skips the FAQ does not name.
EMAIL_TAKEN = "Skipped User - Email Already Used By Another Member"
EMAIL_CHANGE_SKIPPED = "Skipped User Email Update - Email Already Used By Another Member"
DUPLICATE_USER = "Skipped User - Duplicate External Id"
DUPLICATE_GROUP = "Skipped Group - Duplicate External Id"
RULE_BASED_GROUP = "Skipped Group - Rule-Based Team"
SUBGROUP_TWO_PARENTS = "Skipped Subgroup Mapping To Group - Subgroup Already Has A Parent"
SUBGROUP_CYCLE = "Skipped Subgroup Mapping To Group - Cycle"
INVALID_EMAIL = "Skipped User - Invalid Email"
INVALID_VALUE = "Skipped User Attribute - Invalid Value"
INVALID_GROUP_NAME = "Skipped Group - Invalid Name"

# Update items.
USER_CREATED = "User Created"
USER_UPDATED = "User Updated"
USER_DEACTIVATED = "User Deactivated"
USER_REACTIVATED = "User Reactivated"
TEAM_CREATED = "Team Created"
TEAM_RENAMED = "Team Renamed"
TEAM_ADOPTED = "Team Adopted"
TEAM_MOVED = "Team Moved"
TEAM_REMOVED = "Team Removed"
