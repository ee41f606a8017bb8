package dev.ninelives.spring.boot.actuate;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The settings of the {@code ninelives} health contributor, under
 * {@code management.health.ninelives} ({@code management.health.ninelives.enabled=false} turns
 * it off, as for any contributor).
 *
 * <p>Why {@code DEGRADED} by default, and not {@code DOWN} or {@code OUT_OF_SERVICE}: an OPEN
 * breaker means a dependency is failing and this service is protecting itself (and answering
 * with fallbacks). Taking the service out of its load balancer for that would spread the
 * dependency's outage to every caller. Spring's default status order does not know
 * {@code DEGRADED}, so the contributor shows it without changing the aggregate status; to make
 * it count, list it in {@code management.endpoint.health.status.order} (for example
 * {@code DOWN,OUT_OF_SERVICE,DEGRADED,UP,UNKNOWN}) and map it in
 * {@code management.endpoint.health.status.http-mapping}, or set {@code open-status} to
 * {@code DOWN}.
 */
@ConfigurationProperties("management.health.ninelives")
public class NineLivesHealthProperties {

    private String openStatus = "DEGRADED";

    /** Made by Spring. */
    public NineLivesHealthProperties() {
    }

    /**
     * The health status while a breaker is {@code OPEN} or {@code FORCED_OPEN}.
     *
     * @return the status code, {@code DEGRADED} by default
     */
    public String getOpenStatus() {
        return openStatus;
    }

    /**
     * Sets the health status while a breaker is {@code OPEN} or {@code FORCED_OPEN}.
     *
     * @param openStatus a status code: {@code DEGRADED}, {@code DOWN}, {@code OUT_OF_SERVICE}, {@code UP} or one of the application's
     * @throws IllegalArgumentException if {@code openStatus} is blank
     */
    public void setOpenStatus(String openStatus) {
        if (openStatus == null || openStatus.isBlank()) {
            throw new IllegalArgumentException("management.health.ninelives.open-status must not be blank, but was "
                    + (openStatus == null ? "null" : "'" + openStatus + "'"));
        }
        this.openStatus = openStatus.trim();
    }
}
