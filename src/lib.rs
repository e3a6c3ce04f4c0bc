//! majordomo
