using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdentityHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class KeyRotation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(
                name: "RetiredAt",
                table: "SigningKeys",
                newName: "RetiresAt");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ActivatesAt",
                table: "SigningKeys",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            // Keys from before rotation have signed since they were created.
            migrationBuilder.Sql("UPDATE \"SigningKeys\" SET \"ActivatesAt\" = \"CreatedAt\";");

            migrationBuilder.AddColumn<string>(
                name: "KeyId",
                table: "SigningKeys",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ActivatesAt",
                table: "SigningKeys");

            migrationBuilder.DropColumn(
                name: "KeyId",
                table: "SigningKeys");

            migrationBuilder.RenameColumn(
                name: "RetiresAt",
                table: "SigningKeys",
                newName: "RetiredAt");
        }
    }
}
