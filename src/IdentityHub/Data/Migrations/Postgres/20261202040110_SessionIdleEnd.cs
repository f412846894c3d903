using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdentityHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SessionIdleEnd : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "IdleExpiresAt",
                table: "HubSessions",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            // Sessions open during the upgrade keep their absolute end and get a full idle period from it.
            migrationBuilder.Sql("UPDATE \"HubSessions\" SET \"IdleExpiresAt\" = \"ExpiresAt\";");

            migrationBuilder.CreateIndex(
                name: "IX_HubSessions_IdleExpiresAt",
                table: "HubSessions",
                column: "IdleExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_HubSessions_IdleExpiresAt",
                table: "HubSessions");

            migrationBuilder.DropColumn(
                name: "IdleExpiresAt",
                table: "HubSessions");
        }
    }
}
